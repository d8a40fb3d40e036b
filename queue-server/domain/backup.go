package domain

import "time"

// BackupStatus is how the server's scheduled backups go: what the office
// page raises an alert from and /metrics exports.
type BackupStatus struct {
	// Enabled is false when the server was started without --backup-dir.
	Enabled      bool   `json:"enabled"`
	Dir          string `json:"dir,omitempty"`
	EverySeconds int    `json:"every_seconds,omitempty"`
	Keep         int    `json:"keep,omitempty"`
	// LastSuccessAt and LastFile name the newest verified backup, also one
	// found in the folder at start.
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	LastFile      string     `json:"last_file,omitempty"`
	// Failing is true while the last attempt failed; LastError says why,
	// in a sentence for the person who has to fix it.
	Failing       bool       `json:"failing"`
	LastFailureAt *time.Time `json:"last_failure_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	// Failures counts the failed attempts since the server started.
	Failures int        `json:"failures"`
	NextAt   *time.Time `json:"next_at,omitempty"`
	// SameDisk is true when the backup folder is on the file system of the
	// data folder: a disk that fails takes the backups with the data.
	SameDisk bool `json:"same_disk"`
}

package domain

import "context"

// The import of services from a file exported from the federal register of
// services (ФРГУ) into an office's catalogue; docs/frgu-import.md describes
// the files and the rules.

// Register file formats.
const (
	RegisterJSON = "json"
	RegisterCSV  = "csv"
)

// RegisterFile is a register export as it was received: its bytes, its
// format and, when the sender named it, its character set ("" guesses:
// UTF-8 with or without BOM, else Windows-1251).
type RegisterFile struct {
	Format  string `json:"format"`
	Charset string `json:"charset,omitempty"`
	Data    []byte `json:"-"`
	// DryRun reports what the import would change and changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// RegisterEntry is one item of the catalogue as the register describes it:
// a procedure (цель обращения) of a service of an authority, or a service
// without procedures. Line is where it starts in the file.
type RegisterEntry struct {
	Line          int     `json:"line"`
	AuthorityID   string  `json:"authority_id"`
	AuthorityName string  `json:"authority_name"`
	ServiceID     string  `json:"service_id"`
	ServiceName   string  `json:"service_name"`
	ProcedureID   string  `json:"procedure_id,omitempty"`
	ProcedureName string  `json:"procedure_name,omitempty"`
	Purpose       Purpose `json:"purpose,omitempty"`
	PurposeID     string  `json:"purpose_id,omitempty"`
}

// Name is the catalogue name of the entry: its procedure's, else its service's.
func (e RegisterEntry) Name() string {
	if e.ProcedureName != "" {
		return e.ProcedureName
	}
	return e.ServiceName
}

// RegisterSkip is a row of the file left out, and why, in a sentence.
type RegisterSkip struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// FieldChange is one field of a service that an import sets.
type FieldChange struct {
	Field string `json:"field"` // the JSON name in domain.Service, e.g. name, frgu.procedure_id
	Old   string `json:"old"`
	New   string `json:"new"`
}

// RegisterItem is what an import does to one service or group of the
// catalogue. Line is the row of the file it came from (for a group, the
// first row of its authority).
type RegisterItem struct {
	Line      int           `json:"line"`
	ServiceID string        `json:"service_id"`
	Name      string        `json:"name"`
	IsGroup   bool          `json:"is_group,omitempty"`
	Changes   []FieldChange `json:"changes,omitempty"`
	// Service is the record as it is (or, in a dry run, would be) after
	// the import, for created and updated items.
	Service *Service `json:"service,omitempty"`
}

// RegisterReport is the outcome of an import, or in a dry run its forecast.
type RegisterReport struct {
	OfficeID  string         `json:"office_id"`
	DryRun    bool           `json:"dry_run"`
	Rows      int            `json:"rows"` // entries and skipped rows the file held
	Created   []RegisterItem `json:"created"`
	Updated   []RegisterItem `json:"updated"`
	Unchanged []RegisterItem `json:"unchanged"`
	Skipped   []RegisterSkip `json:"skipped"`
}

// Register is the import of the federal register into a catalogue.
type Register interface {
	// ImportRegister matches the file's entries with the office's services
	// by ФРГУ ids, updates the register's fields (names, ids, purpose) and
	// keeps everything the office set; new ones get defaults. Malformed
	// rows are skipped and reported; a file that cannot be read at all is
	// refused. Nothing is deleted.
	ImportRegister(ctx context.Context, officeID string, f RegisterFile) (RegisterReport, error)
}

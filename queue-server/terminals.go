package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// terminalsDir holds, under the data folder, the configuration files of the
// demo's paired terminals.
const terminalsDir = "terminals"

// terminalConfig is what a paired terminal needs to reach its server: the
// file a terminal reads at start. The credential is a secret: the file is
// mode 0600.
type terminalConfig struct {
	Server     string `json:"server"`
	OfficeID   string `json:"office_id"`
	DeviceID   string `json:"device_id"`
	Credential string `json:"credential"`
	// CertFingerprint pins a self-signed certificate, which the terminal
	// could not trust otherwise.
	CertFingerprint string `json:"cert_fingerprint,omitempty"`
}

// writeTerminalConfigs writes DIR/<device>.json for each paired device, so
// the demo's kiosk, board and rating terminals start without pairing by hand;
// pin is the fingerprint of a self-signed certificate, or "".
func writeTerminalConfigs(dir, server, pin, officeID string, credentials map[string]string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for id, cred := range credentials {
		b, err := json.MarshalIndent(terminalConfig{Server: server, OfficeID: officeID, DeviceID: id, Credential: cred, CertFingerprint: pin}, "", "  ")
		if err != nil {
			return fmt.Errorf("encode terminal %s: %w", id, err)
		}
		path := filepath.Join(dir, id+".json")
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("write terminal configuration %s: %w", path, err)
		}
	}
	return nil
}

// writeStaffCards writes DIR/<login>.card with the code of each demo staff
// card, mode 0600 as it logs in as its holder: the demo's stand-in for the
// badge a scanner would read.
func writeStaffCards(dir string, cards map[string]string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for login, code := range cards {
		path := filepath.Join(dir, login+".card")
		if err := os.WriteFile(path, []byte(code+"\n"), 0o600); err != nil {
			return fmt.Errorf("write staff card %s: %w", path, err)
		}
	}
	return nil
}

package officefile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Export reads the whole office into a file, as the system. Logins carry
// their password hashes, never a password: a file that leaves the server
// is to be kept like a backup.
func Export(ctx context.Context, b Backend, officeID string) (*File, error) {
	ctx = domain.WithActor(ctx, domain.System)
	o, err := b.GetOffice(ctx, officeID)
	if err != nil {
		return nil, err
	}
	f := &File{Format: Format, Office: Office{ID: o.ID, Name: o.Name, Address: o.Address, TimeZone: o.TimeZone, Hours: hoursOf(o.Hours),
		MKGUVendorID: o.MKGUVendorID, OKATO: o.OKATO, MDMUID: o.MDMUID,
		CheckInEarlyMinutes: o.CheckInEarlyMinutes, CheckInLateMinutes: o.CheckInLateMinutes, DefaultServiceMinutes: o.DefaultServiceMinutes,
		PublicURL: o.PublicURL, RatingMinutes: o.RatingMinutes, Sandbox: o.Sandbox}}

	services, err := b.ListServices(ctx, officeID)
	if err != nil {
		return nil, err
	}
	children := map[string][]domain.Service{}
	for _, s := range services {
		children[s.ParentID] = append(children[s.ParentID], s)
	}
	var tree func(parent string) []Service
	tree = func(parent string) []Service {
		var out []Service
		for i, s := range children[parent] {
			fs := Service{ID: s.ID, Group: s.IsGroup, Name: s.Name, Letter: s.Prefix, Purpose: string(s.Purpose),
				WaitNormMinutes: s.WaitNormMinutes, AppointmentNormMinutes: s.AppointmentNormMinutes, DailyLimit: s.DailyLimit,
				TicketNote: s.TicketNote, SlotMinutes: s.SlotMinutes, SlotCapacity: s.SlotCapacity, BookingHorizonDays: s.BookingHorizonDays, Disabled: s.Disabled}
			if s.Order != i+1 {
				order := s.Order
				fs.Order = &order
			}
			if s.FRGU != (domain.FRGU{}) {
				frgu := FRGU(s.FRGU)
				fs.FRGU = &frgu
			}
			if s.Hours != nil {
				h := hoursOf(*s.Hours)
				fs.Hours = &h
			}
			if s.IsGroup {
				fs.Services = tree(s.ID)
			}
			out = append(out, fs)
		}
		return out
	}
	f.Services = tree("")

	windows, err := b.ListWindows(ctx, officeID)
	if err != nil {
		return nil, err
	}
	for _, w := range windows {
		f.Windows = append(f.Windows, Window{ID: w.Window.ID, Number: w.Window.Number, Name: w.Window.Name, Services: nonNil(w.Window.ServiceIDs)})
	}
	operators, err := b.ListOperators(ctx, officeID)
	if err != nil {
		return nil, err
	}
	for _, op := range operators {
		fo := Operator{ID: op.ID, Login: op.Login, FullName: op.FullName, Position: op.Position, CaseSystemID: op.CaseSystemID, Skills: []Skill{}}
		for _, s := range op.Skills {
			fo.Skills = append(fo.Skills, Skill{Service: s.ServiceID, Weight: s.Weight})
		}
		f.Operators = append(f.Operators, fo)
	}
	accounts, err := b.OfficeAccounts(ctx, officeID)
	if err != nil {
		return nil, err
	}
	for _, a := range accounts {
		f.Accounts = append(f.Accounts, Account{Login: a.Login, Role: string(a.Role), FullName: a.FullName, Operator: a.OperatorID,
			Disabled: a.Disabled, PasswordHash: a.PasswordHash})
	}
	devices, err := b.ListDevices(ctx, officeID)
	if err != nil {
		return nil, err
	}
	for _, d := range devices {
		f.Devices = append(f.Devices, Device{ID: d.ID, Kind: string(d.Kind), Name: d.Name, Window: d.WindowID})
	}
	categories, err := b.ListPriorityCategories(ctx, officeID)
	if err != nil {
		return nil, err
	}
	for _, c := range categories {
		f.Categories = append(f.Categories, Category{ID: c.ID, Name: c.Name, Level: c.Level})
	}
	announcements, err := b.ListAnnouncements(ctx, officeID)
	if err != nil {
		return nil, err
	}
	for _, a := range announcements {
		f.Announcements = append(f.Announcements, Announcement{ID: a.ID, Text: a.Text, Enabled: a.Enabled, Order: a.Order, From: a.From, Until: a.Until,
			Weekdays: a.Weekdays, DailyFrom: a.DailyFrom, DailyUntil: a.DailyUntil})
	}
	return f, nil
}

// IsJSON tells by a file name's extension whether it is JSON; anything
// else is YAML.
func IsJSON(name string) bool { return strings.EqualFold(filepath.Ext(name), ".json") }

// Encode writes the file as JSON or, by default, YAML.
func (f *File) Encode(asJSON bool) ([]byte, error) {
	if asJSON {
		out, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode office file: %w", err)
		}
		return append(out, '\n'), nil
	}
	var buf bytes.Buffer
	buf.WriteString("# Офис Talon: формат описан в docs/office-file.md\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode office file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode office file: %w", err)
	}
	return buf.Bytes(), nil
}

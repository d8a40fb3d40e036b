package officefile

// Sections are the keys of the file's parts besides office. A region's
// file for an office manages the sections it holds and leaves the others
// to the office (docs/region.md, "Configuration").
var Sections = []string{"services", "windows", "operators", "accounts", "devices", "priority_categories", "announcements"}

// Has reports whether a parsed file holds a section, even an empty one
// (services: []): the file then says the section is to be empty, where a
// section left out says nothing about it.
func (f *File) Has(section string) bool {
	_, ok := f.lines[section]
	return ok
}

// Left are the keys of the sections a parsed file leaves out; none is an
// empty list, not nil.
func (f *File) Left() []string {
	left := []string{}
	for _, s := range Sections {
		if !f.Has(s) {
			left = append(left, s)
		}
	}
	return left
}

// KeepLocal fills the sections f leaves out with own's (the office as it
// is, from Export), so that applying f leaves them as they are, and
// returns their keys.
func (f *File) KeepLocal(own *File) []string {
	kept := f.Left()
	for _, s := range kept {
		switch s {
		case "services":
			f.Services = own.Services
		case "windows":
			f.Windows = own.Windows
		case "operators":
			f.Operators = own.Operators
		case "accounts":
			f.Accounts = own.Accounts
		case "devices":
			f.Devices = own.Devices
		case "priority_categories":
			f.Categories = own.Categories
		case "announcements":
			f.Announcements = own.Announcements
		}
	}
	return kept
}

package officefile

import "github.com/talonqueue/talon/queue-server/domain"

// Catalog is the office and its services (groups included) as a server
// holding the file as office officeID would store them, read without a
// server: the regional feeds build an office's МКГУ and МДМ packets from
// them. Parse has checked the file already; a mistake found here is
// reported the same way.
func (f *File) Catalog(officeID string) (domain.Office, []domain.Service, error) {
	if officeID == "" {
		officeID = f.Office.ID
	}
	p := &problems{f: f}
	r := f.records(officeID, p)
	if err := p.err(); err != nil {
		return domain.Office{}, nil, err
	}
	services := make([]domain.Service, len(r.services))
	for i, s := range r.services {
		services[i] = s.v
	}
	return r.office.v, services, nil
}

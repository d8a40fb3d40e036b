package client

import (
	"context"
	"net/url"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The phone centre.

func (c *Client) RecordTicketPhone(ctx context.Context, officeID, ticketID string, in domain.PhoneInput) (domain.Contact, error) {
	var out domain.Contact
	return out, c.do(ctx, "PUT", office(officeID, "tickets", ticketID, "phone"), in, &out)
}

func (c *Client) RecordAppointmentPhone(ctx context.Context, officeID, appointmentID string, in domain.PhoneInput) (domain.Contact, error) {
	var out domain.Contact
	return out, c.do(ctx, "PUT", office(officeID, "appointments", appointmentID, "phone"), in, &out)
}

func (c *Client) GetTicketContact(ctx context.Context, officeID, ticketID string) (domain.Contact, error) {
	return get[domain.Contact](ctx, c, office(officeID, "tickets", ticketID, "phone"))
}

func (c *Client) GetAppointmentContact(ctx context.Context, officeID, appointmentID string) (domain.Contact, error) {
	return get[domain.Contact](ctx, c, office(officeID, "appointments", appointmentID, "phone"))
}

func (c *Client) NotifyTicketResult(ctx context.Context, officeID, ticketID string, in domain.NoticeInput) (domain.Contact, error) {
	return post[domain.Contact](ctx, c, office(officeID, "tickets", ticketID, "result-notices"), in)
}

func (c *Client) NotifyAppointmentResult(ctx context.Context, officeID, appointmentID string, in domain.NoticeInput) (domain.Contact, error) {
	return post[domain.Contact](ctx, c, office(officeID, "appointments", appointmentID, "result-notices"), in)
}

func (c *Client) PhoneStatus(ctx context.Context, officeID string, q domain.PhoneStatusQuery) (domain.PhoneStatus, error) {
	v := url.Values{}
	if q.Code != "" {
		v.Set("code", q.Code)
	}
	if q.Number != "" {
		v.Set("number", q.Number)
	}
	return get[domain.PhoneStatus](ctx, c, office(officeID, "phone-status")+"?"+v.Encode())
}

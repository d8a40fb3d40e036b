// Package mkgu builds, signs and sends the packets ИАС МКГУ «Ваш контроль»
// takes for each rating: the rates packet with the indicator/value pairs and,
// when the applicant left a phone for the SMS survey, the events packet. A
// packet is XML rooted at mkgu:body (namespace http://vashkontrol.ru#),
// described by testdata/mkgu.xsd:
//
//	<mkgu:body xmlns:mkgu="http://vashkontrol.ru#">
//	  <mkgu:rates vendor="…" formVersion="0.0.4">   (or mkgu:events)
//	    <mkgu:rate foreignId="…">                   (or mkgu:event)
//	      <mkgu:authority/> <mkgu:service/> <mkgu:procedure/>  ФРГУ ids
//	      <mkgu:okato/> <mkgu:serviceDate/> <mkgu:rateDate/>
//	      <mkgu:value indicator="9" value="41"/>…   (rates)
//	      <mkgu:phone>+79…</mkgu:phone>             (events)
//	    </mkgu:rate>
//	  </mkgu:rates>
//	  <ds:Signature>…</ds:Signature>               (enveloped, added by a Signer)
//	</mkgu:body>
//
// The outbox stores packets unsigned; the Sender signs each attempt, so the
// key never reaches the data file and a renewed certificate applies to
// packets still waiting.
package mkgu

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/talonqueue/talon/queue-server/domain"
)

// Namespace is the packets' XML namespace.
const Namespace = "http://vashkontrol.ru#"

// Outbox channels of the two packets.
const (
	ChannelRates  = "mkgu.rates"
	ChannelEvents = "mkgu.events"
)

// Kinds of packet.
const (
	KindRates  = "rates"
	KindEvents = "events"
)

// Value is one indicator/value pair of the form.
type Value struct {
	IndicatorID, ValueID string
}

// Packet is the data of one packet.
type Packet struct {
	Kind                                string // KindRates or KindEvents
	VendorID, FormVersion, ForeignID    string
	AuthorityID, ServiceID, ProcedureID string // ФРГУ
	OKATO                               string
	ServedAt, RatedAt                   time.Time
	Values                              []Value // rates
	Phone                               string  // events
}

// Rates is the rates packet of r, rated at office o for service s.
func Rates(r domain.Rating, o domain.Office, s domain.Service) (Packet, error) {
	p := Packet{Kind: KindRates, VendorID: o.MKGUVendorID, FormVersion: r.FormVersion, ForeignID: r.ID,
		AuthorityID: s.FRGU.AuthorityID, ServiceID: s.FRGU.ServiceID, ProcedureID: s.FRGU.ProcedureID,
		OKATO: o.OKATO, ServedAt: r.ServedAt.UTC(), RatedAt: r.RatedAt.UTC()}
	for _, a := range r.Answers {
		p.Values = append(p.Values, Value{a.IndicatorID, a.ValueID})
	}
	return p, p.check(o, s)
}

// Events is the events packet for the phone the applicant left with r.
func Events(r domain.Rating, o domain.Office, s domain.Service, phone string) (Packet, error) {
	p, err := Rates(r, o, s)
	if err != nil {
		return Packet{}, err
	}
	p.Kind, p.ForeignID, p.Values, p.Phone = KindEvents, r.ID+phoneSuffix, nil, phone
	if !validPhone(phone) {
		return Packet{}, domain.Errorf(domain.CodeInvalid, "номер для СМС-опроса должен быть в виде +79XXXXXXXXX")
	}
	return p, nil
}

// phoneSuffix makes an events packet's foreign id from its rating's id.
const phoneSuffix = ".phone"

// RatingID is the id of the rating a packet's foreign id (a message id) is of.
func RatingID(foreignID string) string { return strings.TrimSuffix(foreignID, phoneSuffix) }

func validPhone(s string) bool {
	return len(s) == 12 && strings.HasPrefix(s, "+79") && strings.Trim(s[1:], "0123456789") == ""
}

// check names what the office or the service lacks for МКГУ, in a sentence
// the administrator can act on.
func (p Packet) check(o domain.Office, s domain.Service) error {
	switch {
	case p.VendorID == "":
		return domain.Errorf(domain.CodeInvalid, "у офиса %s не указан идентификатор поставщика МКГУ", o.Name)
	case len(p.OKATO) != 11 || strings.Trim(p.OKATO, "0123456789") != "":
		return domain.Errorf(domain.CodeInvalid, "у офиса %s не указан код ОКАТО из 11 цифр", o.Name)
	case p.AuthorityID == "" || p.ServiceID == "" || p.ProcedureID == "":
		return domain.Errorf(domain.CodeInvalid, "у услуги «%s» не указаны идентификаторы ФРГУ (ведомство, услуга, процедура)", s.Name)
	case p.FormVersion == "" || p.ForeignID == "":
		return domain.Errorf(domain.CodeInvalid, "оценка без версии формы или идентификатора")
	}
	return nil
}

// Messages are the outbox messages of r: its rates packet and, with a phone,
// its events packet, unsigned. Message ids are the packets' foreign ids.
func Messages(r domain.Rating, o domain.Office, s domain.Service, phone string, now time.Time) ([]domain.OutboxMessage, error) {
	packets := []Packet{}
	p, err := Rates(r, o, s)
	if err != nil {
		return nil, err
	}
	packets = append(packets, p)
	if phone != "" {
		e, err := Events(r, o, s, phone)
		if err != nil {
			return nil, err
		}
		packets = append(packets, e)
	}
	var out []domain.OutboxMessage
	for _, p := range packets {
		body, err := p.XML()
		if err != nil {
			return nil, err
		}
		ch := ChannelRates
		if p.Kind == KindEvents {
			ch = ChannelEvents
		}
		out = append(out, domain.OutboxMessage{ID: p.ForeignID, Channel: ch, OfficeID: r.OfficeID, Body: body,
			ContentType: "application/xml", CreatedAt: now})
	}
	return out, nil
}

const dateLayout = time.RFC3339

func (p Packet) document() *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	body := doc.CreateElement("mkgu:body")
	body.CreateAttr("xmlns:mkgu", Namespace)
	list := body.CreateElement("mkgu:" + p.Kind)
	list.CreateAttr("vendor", p.VendorID)
	list.CreateAttr("formVersion", p.FormVersion)
	item := list.CreateElement("mkgu:" + strings.TrimSuffix(p.Kind, "s"))
	item.CreateAttr("foreignId", p.ForeignID)
	for _, f := range [][2]string{
		{"authority", p.AuthorityID}, {"service", p.ServiceID}, {"procedure", p.ProcedureID}, {"okato", p.OKATO},
		{"serviceDate", p.ServedAt.UTC().Format(dateLayout)}, {"rateDate", p.RatedAt.UTC().Format(dateLayout)},
	} {
		item.CreateElement("mkgu:" + f[0]).SetText(f[1])
	}
	for _, v := range p.Values {
		e := item.CreateElement("mkgu:value")
		e.CreateAttr("indicator", v.IndicatorID)
		e.CreateAttr("value", v.ValueID)
	}
	if p.Kind == KindEvents {
		item.CreateElement("mkgu:phone").SetText(p.Phone)
	}
	return doc
}

// XML is the unsigned packet.
func (p Packet) XML() ([]byte, error) {
	b, err := p.document().WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("mkgu: write packet %s: %w", p.ForeignID, err)
	}
	return b, nil
}

// Parse reads a packet, signed or not, back into its data.
func Parse(data []byte) (Packet, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return Packet{}, fmt.Errorf("mkgu: read packet: %w", err)
	}
	return parse(doc.Root())
}

func parse(body *etree.Element) (Packet, error) {
	if body == nil || body.Tag != "body" || body.NamespaceURI() != Namespace {
		return Packet{}, fmt.Errorf("mkgu: the root is not mkgu:body")
	}
	var p Packet
	list := body.SelectElement("rates")
	p.Kind = KindRates
	if list == nil {
		list, p.Kind = body.SelectElement("events"), KindEvents
	}
	if list == nil {
		return Packet{}, fmt.Errorf("mkgu: a packet without rates or events")
	}
	p.VendorID, p.FormVersion = list.SelectAttrValue("vendor", ""), list.SelectAttrValue("formVersion", "")
	item := list.SelectElement(strings.TrimSuffix(p.Kind, "s"))
	if item == nil {
		return Packet{}, fmt.Errorf("mkgu: an empty %s packet", p.Kind)
	}
	p.ForeignID = item.SelectAttrValue("foreignId", "")
	text := func(tag string) string {
		if e := item.SelectElement(tag); e != nil {
			return e.Text()
		}
		return ""
	}
	p.AuthorityID, p.ServiceID, p.ProcedureID, p.OKATO, p.Phone = text("authority"), text("service"), text("procedure"), text("okato"), text("phone")
	var err error
	if p.ServedAt, err = time.Parse(dateLayout, text("serviceDate")); err != nil {
		return Packet{}, fmt.Errorf("mkgu: serviceDate: %w", err)
	}
	if p.RatedAt, err = time.Parse(dateLayout, text("rateDate")); err != nil {
		return Packet{}, fmt.Errorf("mkgu: rateDate: %w", err)
	}
	p.ServedAt, p.RatedAt = p.ServedAt.UTC(), p.RatedAt.UTC()
	for _, v := range item.SelectElements("value") {
		p.Values = append(p.Values, Value{v.SelectAttrValue("indicator", ""), v.SelectAttrValue("value", "")})
	}
	return p, nil
}

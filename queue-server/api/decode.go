package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/talonqueue/talon/queue-server/domain"
)

// decodeJSON reads one JSON object into v, strictly: unknown fields,
// trailing data, wrong types, a body over the limit and (unless optional) an
// empty body are refused with a sentence naming the problem, so malformed
// input never reaches the engine.
func decodeJSON(body io.Reader, v any, optional bool) error {
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return invalid("тело запроса больше %d байт", tooBig.Limit)
		}
		return invalid("не удалось прочитать тело запроса")
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		if optional {
			return nil
		}
		return invalid("тело запроса пустое: ожидается JSON-объект")
	}
	if data[0] != '{' {
		return invalid("тело запроса должно быть JSON-объектом {…}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("после JSON-объекта в теле запроса есть лишние данные")
	}
	return nil
}

// jsonError turns encoding/json's English into a sentence for a person.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tm *time.ParseError
	switch {
	case errors.As(err, &syntax):
		return invalid("тело запроса — неверный JSON (ошибка около символа %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("тело запроса — незаконченный JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("тело запроса должно быть JSON-объектом {…}")
		}
		return invalid("поле %s должно быть %s", typ.Field, kindRu(typ.Type, typ.Value))
	case errors.As(err, &tm):
		return invalid("время %s должно быть в формате RFC 3339, например 2026-11-23T10:00:00+03:00", strconv.Quote(tm.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("неизвестное поле %s в теле запроса", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return invalid("тело запроса не удалось разобрать как JSON")
}

func kindRu(t reflect.Type, value string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return "временем в формате RFC 3339 (строкой)"
	}
	switch t.Kind() {
	case reflect.String:
		return "строкой"
	case reflect.Bool:
		return "true или false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if strings.HasPrefix(value, "number") {
			return "целым числом в допустимых пределах"
		}
		return "числом"
	case reflect.Float32, reflect.Float64:
		return "числом"
	case reflect.Slice, reflect.Array:
		return "массивом"
	default:
		return "объектом"
	}
}

// checkField refuses a malformed identifier in a body or query field; empty
// passes unless required.
func checkField(name, id string, required bool) error {
	if id == "" {
		if required {
			return invalid("укажите поле %s", name)
		}
		return nil
	}
	if !domain.IsID(id) {
		return invalid("поле %s: идентификатор может содержать только латинские буквы, цифры, точку, дефис и подчёркивание (до 64 символов)", name)
	}
	return nil
}

// checkText refuses text that is too long or has control characters.
func checkText(name, s string, max int) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return invalid("поле %s должно быть текстом не длиннее %d символов", name, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return invalid("поле %s содержит управляющие символы", name)
		}
	}
	return nil
}

// The request bodies of the API. Each parse function is the whole check of
// one body and is fuzzed.

func parseIssue(body io.Reader) (domain.IssueRequest, error) {
	var req domain.IssueRequest
	if err := decodeJSON(body, &req, false); err != nil {
		return req, err
	}
	if err := checkField("service_id", req.ServiceID, true); err != nil {
		return req, err
	}
	return req, checkField("priority_category_id", req.PriorityCategoryID, false)
}

// maxIdempotencyKey bounds the Idempotency-Key header; UUIDs are 36.
const maxIdempotencyKey = 128

func checkIdempotencyKey(k string) error {
	if len(k) > maxIdempotencyKey {
		return invalid("заголовок Idempotency-Key длиннее %d символов", maxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return invalid("заголовок Idempotency-Key может содержать только печатные символы ASCII")
		}
	}
	return nil
}

func parseRedirect(body io.Reader) (domain.Redirect, error) {
	var r domain.Redirect
	if err := decodeJSON(body, &r, false); err != nil {
		return r, err
	}
	if r.ServiceID == "" && r.WindowID == "" && r.OperatorID == "" && r.OperatorCaseSystemID == "" {
		return r, invalid("укажите, куда перенаправить талон: service_id, window_id, operator_id или operator_case_system_id")
	}
	for _, f := range []struct{ name, id string }{{"service_id", r.ServiceID}, {"window_id", r.WindowID}, {"operator_id", r.OperatorID}, {"operator_case_system_id", r.OperatorCaseSystemID}} {
		if err := checkField(f.name, f.id, false); err != nil {
			return r, err
		}
	}
	return r, nil
}

func parseCall(body io.Reader) (domain.CallRequest, error) {
	var c domain.CallRequest
	if err := decodeJSON(body, &c, false); err != nil {
		return c, err
	}
	if c.Ticket == "" {
		return c, invalid("укажите в поле ticket номер талона (например, А015) или его идентификатор")
	}
	if c.Pool != domain.PoolAll {
		return c, invalid("очередь (pool) указывают только при вызове следующего (call-next), без номера талона")
	}
	return c, checkText("ticket", c.Ticket, 64)
}

type callNextRequest struct {
	FinishCurrent bool        `json:"finish_current,omitempty"`
	Pool          domain.Pool `json:"pool,omitempty"`
}

func parseCallNext(body io.Reader) (callNextRequest, error) {
	var c callNextRequest
	if err := decodeJSON(body, &c, true); err != nil {
		return c, err
	}
	return c, c.Pool.Check()
}

type postponeRequest struct {
	Minutes int `json:"minutes"`
}

// maxPostponeMinutes is four hours: longer is not a postponement but a new visit.
const maxPostponeMinutes = 240

func parsePostpone(body io.Reader) (time.Duration, error) {
	var p postponeRequest
	if err := decodeJSON(body, &p, false); err != nil {
		return 0, err
	}
	if p.Minutes < 1 || p.Minutes > maxPostponeMinutes {
		return 0, invalid("поле minutes должно быть от 1 до %d", maxPostponeMinutes)
	}
	return time.Duration(p.Minutes) * time.Minute, nil
}

type caseNumberRequest struct {
	CaseNumber string `json:"case_number"`
}

func parseCaseNumber(body io.Reader) (string, error) {
	var c caseNumberRequest
	if err := decodeJSON(body, &c, false); err != nil {
		return "", err
	}
	return c.CaseNumber, domain.CheckCaseNumber(c.CaseNumber)
}

type pauseRequest struct {
	Paused bool   `json:"paused"`
	Reason string `json:"reason,omitempty"`
}

func parsePause(body io.Reader) (pauseRequest, error) {
	var p pauseRequest
	if err := decodeJSON(body, &p, false); err != nil {
		return p, err
	}
	return p, checkText("reason", p.Reason, 200)
}

type deviceStateRequest struct {
	Printer domain.PrinterState `json:"printer,omitempty"`
	Boards  []domain.BoardState `json:"boards,omitempty"`
	Detail  string              `json:"detail,omitempty"`
}

func parseDeviceState(body io.Reader) (domain.DeviceState, error) {
	var req deviceStateRequest
	if err := decodeJSON(body, &req, false); err != nil {
		return domain.DeviceState{}, err
	}
	st := domain.DeviceState{Printer: req.Printer, Boards: req.Boards, Detail: req.Detail}
	return st, st.Validate()
}

type padStateRequest struct {
	Address int    `json:"address"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
}

func parsePadState(body io.Reader) (domain.PadState, error) {
	var req padStateRequest
	if err := decodeJSON(body, &req, false); err != nil {
		return domain.PadState{}, err
	}
	st := domain.PadState{Address: req.Address, OK: req.OK, Detail: req.Detail}
	return st, st.Validate()
}

type checkInRequest struct {
	Code string `json:"code"`
}

func parseCheckIn(body io.Reader) (string, error) {
	var c checkInRequest
	if err := decodeJSON(body, &c, false); err != nil {
		return "", err
	}
	if c.Code == "" {
		return "", invalid("укажите код записи в поле code")
	}
	return c.Code, checkText("code", c.Code, 32)
}

// loginRequest is a login and password, or a staff card's code as the
// scanner read it from the badge.
type loginRequest struct {
	Login    string `json:"login,omitempty"`
	Password string `json:"password,omitempty"`
	Card     string `json:"card,omitempty"`
}

func parseLogin(body io.Reader) (loginRequest, error) {
	var l loginRequest
	if err := decodeJSON(body, &l, false); err != nil {
		return l, err
	}
	switch {
	case l.Card != "" && (l.Login != "" || l.Password != ""):
		return l, invalid("войдите либо по логину и паролю, либо по карте сотрудника, а не тем и другим сразу")
	case l.Card != "":
		// The code itself is checked by the backend, which answers every
		// card that opens nothing alike.
		if len(l.Card) > 256 {
			return l, invalid("код карты сотрудника слишком длинный")
		}
		return l, nil
	case l.Login == "" || l.Password == "":
		return l, invalid("укажите логин и пароль или код карты сотрудника")
	}
	if err := checkText("login", l.Login, 64); err != nil {
		return l, err
	}
	// bcrypt reads at most 72 bytes; a longer limit only guards the server.
	if len(l.Password) > 1024 {
		return l, invalid("пароль слишком длинный")
	}
	return l, nil
}

func parseNewAppointment(body io.Reader) (domain.NewAppointment, error) {
	var a domain.NewAppointment
	if err := decodeJSON(body, &a, false); err != nil {
		return a, err
	}
	if err := checkField("service_id", a.ServiceID, true); err != nil {
		return a, err
	}
	if a.Start.IsZero() {
		return a, invalid("укажите время записи в поле start, например 2026-11-23T10:00:00+03:00")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"source", a.Source, 32}, {"name", a.Name, 200}, {"phone", a.Phone, 32}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return a, err
		}
	}
	return a, nil
}

package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// The OpenAPI 3.0 document is generated from the route table and the Go
// types of bodies and results, so it cannot drift from what is served.

// Marker types for results that are not JSON values of Go types.
type (
	openAPIDocument struct{}
	binaryFile      struct{}
	htmlPage        struct{}
)

// streamMessage documents the WebSocket's messages; push writes them.
type streamMessage struct {
	Type     streamType             `json:"type"`
	Seq      uint64                 `json:"seq"`
	Snapshot *domain.OfficeSnapshot `json:"snapshot,omitempty"`
	Event    *domain.Event          `json:"event,omitempty"`
	Reason   string                 `json:"reason,omitempty"`
}

type streamType string

// queryDocs describes every query parameter a route may accept.
var queryDocs = map[string]struct {
	desc   string
	schema map[string]any
}{
	"service_id":     {"идентификатор услуги", idSchema()},
	"window_id":      {"что может вызвать это окно", idSchema()},
	"status":         {"статусы через запятую; по умолчанию ожидающие, отложенные, вызванные и обслуживаемые", map[string]any{"type": "string", "example": "waiting,postponed"}},
	"day":            {"день по местному времени офиса, ГГГГ-ММ-ДД", map[string]any{"type": "string", "format": "date"}},
	"since":          {"последний полученный seq: сервер пришлёт пропущенные события или новый снимок", map[string]any{"type": "integer", "format": "int64", "minimum": 0}},
	"token":          {"токен, если заголовок Authorization задать нельзя (браузер)", map[string]any{"type": "string"}},
	"from":           {"начало периода: дата ГГГГ-ММ-ДД (по времени офиса) или время RFC 3339", map[string]any{"type": "string", "example": "2026-11-23"}},
	"to":             {"конец периода: дата включительно или время RFC 3339 (не включая)", map[string]any{"type": "string", "example": "2026-11-23"}},
	"actor":          {"логин того, кто действовал", idSchema()},
	"ticket":         {"идентификатор талона: в журнале — вся его история, в оценках — талон по QR", idSchema()},
	"window":         {"идентификатор окна", idSchema()},
	"service":        {"только эта услуга", idSchema()},
	"operator":       {"только этот оператор", idSchema()},
	"group_by":       {"разбить сводку по услугам, операторам, окнам или дням", map[string]any{"type": "string", "enum": []any{"service", "operator", "window", "day"}}},
	"format":         {"json (по умолчанию); csv — файл для Excel (UTF-8 с BOM, разделитель «;»), выгрузка журнала в csv записывается в журнал; xlsx — книга Excel (только статистика); в импорте из ФРГУ — формат присланного файла, json или csv (без параметра — по Content-Type)", map[string]any{"type": "string", "enum": []any{"json", "csv", "xlsx"}}},
	"dry_run":        {"true — только показать, что изменится, ничего не меняя", map[string]any{"type": "boolean"}},
	"office":         {"идентификатор офиса; можно повторить или перечислить через запятую", idSchema()},
	"by":             {"разбивка отчёта по строкам (по умолчанию service)", map[string]any{"type": "string", "enum": []any{"office", "service", "purpose", "operator", "window", "hour", "weekday", "day", "service_hour"}}},
	"channel":        {"канал отправки, например mkgu.rates или mkgu.events", idSchema()},
	"state":          {"состояние доставки", map[string]any{"type": "string", "enum": []any{"pending", "delivered", "dead"}}},
	"after":          {"идентификатор последнего сообщения предыдущей страницы", idSchema()},
	"limit":          {"не больше стольких записей, от старых к новым (1–10000, по умолчанию 1000)", map[string]any{"type": "integer", "minimum": 1, "maximum": 10000}},
	"pool":           {"только одна часть очереди: льготные, перенаправленные или отложенные", map[string]any{"type": "string", "enum": []any{"priority", "redirected", "postponed"}}},
	"case_number":    {"номер дела в АИС МФЦ", map[string]any{"type": "string", "maxLength": 64}},
	"case_system_id": {"идентификатор оператора в АИС МФЦ", idSchema()},
	"weeks":          {"за сколько недель до сегодня считать по дням недели (1–53, по умолчанию 4)", map[string]any{"type": "integer", "minimum": 1, "maximum": 53}},
	"code":           {"код записи, который заявитель называет (PIN)", map[string]any{"type": "string", "example": "482913"}},
	"number":         {"номер сегодняшнего талона, например А015", map[string]any{"type": "string", "example": "А015"}},
}

// enums lists the values of the domain's string types.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[domain.Status]():            {"waiting", "called", "serving", "postponed", "done", "no_show", "cancelled"},
	reflect.TypeFor[domain.Role]():              {"admin", "manager", "hall", "operator", "device", "integration"},
	reflect.TypeFor[domain.Operation]():         {"view", "issue", "book", "serve", "move", "case", "stats", "mdm", "phone", "catalog", "webhooks", "outbox"},
	reflect.TypeFor[domain.NoticeOutcome]():     {"told", "message_left", "no_answer", "wrong_number"},
	reflect.TypeFor[domain.DeviceKind]():        {"kiosk", "display", "rating"},
	reflect.TypeFor[domain.Purpose]():           {"submit", "status", "result", "consultation"},
	reflect.TypeFor[domain.StatsDim]():          {"office", "service", "purpose", "operator", "window", "hour", "weekday", "day", "service_hour"},
	reflect.TypeFor[domain.WindowStatus]():      {"closed", "open", "paused"},
	reflect.TypeFor[domain.AppointmentStatus](): {"booked", "checked_in", "cancelled"},
	reflect.TypeFor[domain.Action](): {"issue", "call", "recall", "start", "finish", "postpone", "return",
		"redirect", "no_show", "cancel"},
	reflect.TypeFor[streamType]():  {"snapshot", "event", "bye"},
	reflect.TypeFor[domain.Code](): {"invalid", "not_found", "queue_empty", "conflict", "unauthorized", "forbidden", "unavailable", "internal"},
	reflect.TypeFor[domain.EventType](): {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.started",
		"ticket.finished", "ticket.postponed", "ticket.returned", "ticket.redirected", "ticket.returned_to_origin", "ticket.no_show",
		"ticket.cancelled", "window.opened", "window.closed", "window.paused", "window.resumed",
		"appointment.booked", "appointment.cancelled", "appointment.checked_in", "config.changed",
		"rating.requested", "ticket.rated"},
}

func idSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// openAPI renders the document for table.
func openAPI(table []route) ([]byte, error) {
	g := &schemas{defs: map[string]any{}}
	errRef := g.of(reflect.TypeFor[errorBody]())
	paths := map[string]map[string]any{}
	for _, rt := range table {
		op := map[string]any{"operationId": rt.op, "summary": rt.summary}
		var ps []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			ps = append(ps, map[string]any{"name": m[1], "in": "path", "required": true,
				"description": "идентификатор " + paramRu[m[1]], "schema": idSchema()})
		}
		for _, q := range rt.query {
			d, ok := queryDocs[q]
			if !ok {
				return nil, fmt.Errorf("api: query parameter %q of %s is not documented", q, rt.op)
			}
			required := rt.op == "listAppointmentSlots" || rt.op == "findTickets" // they mean nothing without it
			ps = append(ps, map[string]any{"name": q, "in": "query", "required": required, "description": d.desc, "schema": d.schema})
		}
		if rt.idempotency {
			ps = append(ps, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "ключ повтора: тот же ключ в тот же день даёт тот же талон",
				"schema":      map[string]any{"type": "string", "maxLength": maxIdempotencyKey, "pattern": "^[\\x20-\\x7E]*$"}})
		}
		if ps != nil {
			op["parameters"] = ps
		}
		switch rt.body.(type) {
		case nil:
		case registerFile:
			file := map[string]any{"schema": map[string]any{"type": "string"}}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": file, "text/csv": file}}
		default:
			op["requestBody"] = map[string]any{"required": !rt.optional, "content": map[string]any{
				"application/json": map[string]any{"schema": g.of(reflect.TypeOf(rt.body))}}}
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		resp := map[string]any{"description": http.StatusText(status)}
		switch rt.result.(type) {
		case nil:
			if rt.access == accessStream {
				status = http.StatusSwitchingProtocols
				resp["description"] = "WebSocket; сервер шлёт текстовые кадры StreamMessage: snapshot, затем event по порядку seq, bye перед остановкой"
				resp["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeFor[streamMessage]())}}
			} else {
				status = http.StatusNoContent
				resp["description"] = "удалено"
			}
		case binaryFile:
			resp["content"] = map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		case htmlPage:
			resp["content"] = map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}
		case openAPIDocument:
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		default:
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(rt.result))}}
		}
		op["responses"] = map[string]any{
			fmt.Sprint(status): resp,
			"default": map[string]any{"description": "ошибка; код и сообщение для человека",
				"content": map[string]any{"application/json": map[string]any{"schema": errRef}}},
		}
		switch rt.access {
		case accessPublic:
			op["security"] = []any{}
		case accessStream:
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"queryToken": []any{}}}
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Talon queue server", "version": "1",
			"description": "Электронная очередь МФЦ. Ошибки: {\"error\":{\"code\",\"message\"}}; коды invalid 400, unauthorized 401, forbidden 403, not_found 404, queue_empty 404 (в очереди никого нет), conflict 409, unavailable 503, internal 500."},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearer":     map[string]any{"type": "http", "scheme": "bearer", "description": "токен из /api/v1/login"},
				"queryToken": map[string]any{"type": "apiKey", "in": "query", "name": "token", "description": "только для /stream"},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("api: encode OpenAPI document: %w", err)
	}
	return b, nil
}

// schemas builds JSON schemas from Go types, named structs as components.
type schemas struct {
	defs map[string]any
}

func (g *schemas) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if vals, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Array:
		return map[string]any{"type": "array", "items": g.of(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		name := componentName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, ok := g.defs[name]; ok {
			return ref
		}
		g.defs[name] = nil // placeholder: recursive types refer to themselves
		props := map[string]any{}
		g.fields(t, props)
		g.defs[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		return ref
	}
	return map[string]any{}
}

// fields adds t's JSON fields to props, flattening embedded structs as
// encoding/json does.
func (g *schemas) fields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
	}
}

// componentName is the type's name, capitalised: loginRequest → LoginRequest.
func componentName(t reflect.Type) string {
	n := t.Name()
	if n == "" {
		return "Object"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

package api

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// served fetches the document the way a client does.
func served(t *testing.T, h *harness) map[string]any {
	t.Helper()
	w := h.do(t, "GET", "/api/v1/openapi.json", "", "Authorization", "")
	if w.Code != 200 {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// operations lists "METHOD /path operationId" of the document.
func operations(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var ops []string
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			ops = append(ops, strings.ToUpper(method)+" "+path+" "+op.(map[string]any)["operationId"].(string))
		}
	}
	slices.Sort(ops)
	return ops
}

func methodPath(ops []string) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op[:strings.LastIndexByte(op, ' ')]
	}
	return out
}

// Every route the router serves is in the document with the same method and
// path template, and nothing else is.
func TestOpenAPIMatchesTheRouter(t *testing.T) {
	h := newHarness(t)
	var routed []string
	err := chi.Walk(h.handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routed = append(routed, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(routed)
	documented := methodPath(operations(t, served(t, h)))
	if !slices.Equal(routed, documented) {
		t.Fatalf("router and document differ\nrouter:   %v\ndocument: %v", routed, documented)
	}
}

// docs/api-routes.md is the contract with the client SDK: its table and the
// document hold the same routes and operationIds.
func TestOpenAPIMatchesTheContract(t *testing.T) {
	md, err := os.ReadFile("../../docs/api-routes.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| (GET|POST|PUT|DELETE) \| (\S+)[^|]*\| (\w+) \|`)
	var contract []string
	for _, m := range row.FindAllStringSubmatch(string(md), -1) {
		path, _, _ := strings.Cut(m[2], "?")
		contract = append(contract, m[1]+" "+path+" "+m[3])
	}
	slices.Sort(contract)
	if len(contract) < 40 {
		t.Fatalf("found only %d rows in docs/api-routes.md; has the table changed shape?", len(contract))
	}
	if got := operations(t, served(t, newHarness(t))); !slices.Equal(got, contract) {
		t.Fatalf("document and docs/api-routes.md differ\ndocument: %v\ncontract: %v", got, contract)
	}
}

// The document is OpenAPI 3.0 shaped: versions, unique operationIds, every
// path parameter declared, every $ref resolvable, security schemes in place.
func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := served(t, newHarness(t))
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Fatalf("openapi version %q", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Fatalf("info %v", info)
	}
	components := doc["components"].(map[string]any)
	schemas := components["schemas"].(map[string]any)
	schemes := components["securitySchemes"].(map[string]any)
	if b, _ := schemes["bearer"].(map[string]any); b["type"] != "http" || b["scheme"] != "bearer" {
		t.Fatalf("bearer scheme %v", b)
	}
	ids := map[string]bool{}
	param := regexp.MustCompile(`\{(\w+)\}`)
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, id)
			}
			ids[id] = true
			if resp, _ := op["responses"].(map[string]any); len(resp) < 2 {
				t.Errorf("%s: responses %v", id, resp)
			}
			declared := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				p := p.(map[string]any)
				if p["in"] == "path" {
					declared[p["name"].(string)] = true
				}
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s not declared", id, m[1])
				}
			}
			for _, sec := range asList(op["security"]) {
				for name := range sec.(map[string]any) {
					if schemes[name] == nil {
						t.Errorf("%s: security scheme %s not defined", id, name)
					}
				}
			}
		}
	}
	for _, public := range []string{"healthz", "getOpenAPI", "login"} {
		if !ids[public] {
			t.Errorf("operation %s missing", public)
		}
	}
	walkRefs(t, doc, func(ref string) {
		name, ok := strings.CutPrefix(ref, "#/components/schemas/")
		if !ok || schemas[name] == nil {
			t.Errorf("$ref %s does not resolve", ref)
		}
	})
	for _, name := range []string{"Ticket", "Event", "OfficeSnapshot", "ErrorBody", "IssueRequest", "NewAppointment", "AccountInput"} {
		if schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	ticket := schemas["Ticket"].(map[string]any)["properties"].(map[string]any)
	for _, f := range []string{"id", "number", "service_id", "status", "created_at", "position", "estimated_wait_seconds"} {
		if ticket[f] == nil {
			t.Errorf("Ticket schema lacks %s", f)
		}
	}
	if acc := schemas["AccountInput"].(map[string]any)["properties"].(map[string]any); acc["login"] == nil || acc["password"] == nil || acc["PasswordHash"] != nil {
		t.Errorf("AccountInput schema %v: want the embedded account flattened, without the hash", acc)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func walkRefs(t *testing.T, v any, f func(string)) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				f(s)
			}
			walkRefs(t, x, f)
		}
	case []any:
		for _, x := range v {
			walkRefs(t, x, f)
		}
	}
}

package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/talonqueue/talon/queue-server/domain"
)

// registerFile is the body of importCatalog in the OpenAPI document: a file
// exported from the federal register, JSON or CSV (docs/frgu-import.md).
type registerFile struct{}

// registerTypes are the media types of a register file by format.
var registerTypes = map[string]string{
	"application/json": domain.RegisterJSON,
	"text/json":        domain.RegisterJSON,
	"text/csv":         domain.RegisterCSV,
	"application/csv":  domain.RegisterCSV,
}

// importCatalog takes a register file as the request body: its format from
// ?format= or else the Content-Type, its character set from the
// Content-Type's charset (or guessed), ?dry_run=true for a forecast.
func importCatalog(b domain.Register) endpoint {
	return func(r *http.Request) (any, error) {
		p, err := params(r, "office")
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		var f domain.RegisterFile
		mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		f.Charset = mp["charset"]
		switch format := strings.ToLower(q.Get("format")); {
		case format == domain.RegisterJSON || format == domain.RegisterCSV:
			f.Format = format
		case format != "":
			return nil, invalid("формат файла реестра %q неизвестен: json или csv", format)
		case registerTypes[mt] != "":
			f.Format = registerTypes[mt]
		default:
			return nil, invalid("укажите формат файла реестра: Content-Type application/json или text/csv, или параметр format=json или csv")
		}
		if s := q.Get("dry_run"); s != "" {
			if f.DryRun, err = strconv.ParseBool(s); err != nil {
				return nil, invalid("dry_run — true или false, а не %q", s)
			}
		}
		if f.Data, err = io.ReadAll(r.Body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, invalid("файл больше %d байт: разделите его на части по органам власти", tooBig.Limit)
			}
			return nil, invalid("не удалось прочитать тело запроса")
		}
		if len(bytes.TrimSpace(f.Data)) == 0 {
			return nil, invalid("тело запроса пустое: пришлите файл, выгруженный из ФРГУ")
		}
		return result(b.ImportRegister(durable(r), p[0], f))
	}
}

package mkgu

import (
	"reflect"
	"testing"
)

// FuzzParse feeds Parse arbitrary documents: it must refuse or read them,
// never panic, and a packet it reads must write back to the same data.
func FuzzParse(f *testing.F) {
	for _, phone := range []string{"", "+79161234567"} {
		ms, err := Messages(rating, office, service, phone, rating.RatedAt)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range ms {
			f.Add(m.Body)
		}
	}
	f.Add([]byte(`<mkgu:body xmlns:mkgu="http://vashkontrol.ru#"><mkgu:rates/></mkgu:body>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		out, err := p.XML()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out)
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Errorf("%+v wrote back as %+v, %v", p, again, err)
		}
	})
}

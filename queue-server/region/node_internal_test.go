package region

import "testing"

// The region's address may omit the scheme and name several servers; an
// address without a host or an empty list is refused.
func TestLeafURLs(t *testing.T) {
	urls, err := leafURLs("region1.example:7422, nats-leaf://region2.example:7422,")
	if err != nil || len(urls) != 2 || urls[0].String() != "nats-leaf://region1.example:7422" || urls[1].Host != "region2.example:7422" {
		t.Fatalf("leafURLs = %v, %v", urls, err)
	}
	for _, bad := range []string{"", " , ", "nats-leaf://", "nats-leaf://:7422/%zz"} {
		if urls, err := leafURLs(bad); err == nil {
			t.Errorf("leafURLs(%q) = %v, want a refusal", bad, urls)
		}
	}
}

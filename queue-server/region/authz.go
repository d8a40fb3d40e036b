package region

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nkeys"

	"github.com/talonqueue/talon/queue-server/domain"
)

// Account is the NATS account of the region's cluster that holds the
// region's JetStream and every link of the region (docs/region.md,
// "Credentials and TLS").
const Account = "TALON"

// AuthUsers names the users of the region's cluster by their public nkeys
// (U…): each holds the seed file of its own key, the cluster's
// configuration only the public ones.
type AuthUsers struct {
	// Admin joins offices and sets their configuration (`region join`,
	// `region config`): everything in the region's account.
	Admin string
	// Regional is the regional server: it reads the regional stream and
	// the key-value buckets, and nothing of an office's domain.
	Regional string
	// Offices is each office node's leaf link by office id.
	Offices map[string]string
}

// Authorization is the accounts block of the region's nats-server
// configuration for users: one account with JetStream, each user allowed
// only what its part needs. Permissions are from the user's side; for a
// leaf link, publish is what the office sends into the region and
// subscribe what the region may send it.
func Authorization(u AuthUsers) (string, error) {
	keys := map[string]string{"администратора": u.Admin, "регионального сервера": u.Regional}
	for id, k := range u.Offices {
		if !domain.IsID(id) {
			return "", fmt.Errorf("идентификатор офиса %q: нужны латинские буквы, цифры, точка, дефис или подчёркивание", id)
		}
		keys["офиса "+id] = k
	}
	for who, k := range keys {
		if k != "" && !nkeys.IsValidPublicUserKey(k) {
			return "", fmt.Errorf("ключ %s %q — не открытый ключ пользователя nkey (U…, его печатает nk -gen user -pubout)", who, k)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "accounts {\n  %s {\n    jetstream: enabled\n    users: [\n", Account)
	user := func(nkey, comment string, perms permissions) {
		fmt.Fprintf(&b, "      # %s\n      { nkey: %q", comment, nkey)
		if perms.publish != nil || perms.subscribe != nil {
			fmt.Fprintf(&b, ", permissions: {\n        publish: { allow: %s }\n        subscribe: { allow: %s }\n      }", list(perms.publish), list(perms.subscribe))
		}
		b.WriteString(" }\n")
	}
	if u.Admin != "" {
		user(u.Admin, "administrator: region join, region config", permissions{})
	}
	ids := make([]string, 0, len(u.Offices))
	for id := range u.Offices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if u.Regional != "" {
		user(u.Regional, "regional server", RegionalPermissions(ids))
	}
	for _, id := range ids {
		user(u.Offices[id], "leaf link of office "+id, OfficePermissions(id))
	}
	b.WriteString("    ]\n  }\n}\n")
	return b.String(), nil
}

type permissions struct{ publish, subscribe []string }

// list is a list of subjects, one a line.
func list(subjects []string) string {
	var b strings.Builder
	b.WriteString("[\n")
	for _, s := range subjects {
		fmt.Fprintf(&b, "          %q\n", s)
	}
	b.WriteString("        ]")
	return b.String()
}

// RegionalPermissions is what the regional server may do: make and read
// the regional stream through its consumers and read the offices' bucket,
// in the region's own JetStream API, and of each office's domain only ask
// how far its stream is (the dashboard's link state); never read or change
// an office's stream.
func RegionalPermissions(offices []string) permissions {
	var pub []string
	for _, s := range []string{RegionStream, "KV_" + OfficesBucket} {
		pub = append(pub,
			"$JS.API.STREAM.INFO."+s, "$JS.API.STREAM.CREATE."+s,
			"$JS.API.CONSUMER.INFO."+s+".>", "$JS.API.CONSUMER.CREATE."+s+".>", "$JS.API.CONSUMER.DURABLE.CREATE."+s+".>",
			"$JS.API.CONSUMER.MSG.NEXT."+s+".>", "$JS.API.CONSUMER.DELETE."+s+".>",
			"$JS.ACK."+s+".>", "$JS.FC."+s+".>")
	}
	pub = append(pub, "$JS.API.INFO", "$JS.API.STREAM.UPDATE.KV_"+OfficesBucket,
		"$JS.API.DIRECT.GET.KV_"+OfficesBucket+".>", "$JS.API.STREAM.MSG.GET.KV_"+OfficesBucket)
	for _, id := range offices {
		pub = append(pub, APIPrefix(OfficeDomain(id))+".STREAM.INFO."+OfficeStream(id))
	}
	return permissions{publish: pub, subscribe: []string{RegionalInbox + ".>"}}
}

// OfficePermissions is what an office's leaf link may carry: out of the
// office, the pushes of its stream's source consumer, the answers to the
// region's requests into its domain, and its configuration's reads and
// reports; into it, its own domain's JetStream API, the flow control of
// its source, its configuration's announcements and the replies to its
// own inboxes. Nothing of another office, nothing of the regional stream.
func OfficePermissions(officeID string) permissions {
	cfg, status := "KV_"+ConfigBucket, "KV_"+ConfigStatusBucket
	api := APIPrefix(RegionDomain)
	return permissions{
		publish: []string{
			DeliverSubject(officeID), "_INBOX.>", "$JSC.R.>",
			api + ".STREAM.INFO." + cfg, api + ".STREAM.INFO." + status,
			api + ".DIRECT.GET." + cfg + ".$KV." + ConfigBucket + "." + officeID,
			api + ".$KV." + ConfigStatusBucket + "." + officeID,
		},
		subscribe: []string{
			APIPrefix(OfficeDomain(officeID)) + ".>",
			"$JS.FC." + OfficeStream(officeID) + ".>",
			ConfigSubject(officeID),
			Inbox(officeID) + ".>",
		},
	}
}

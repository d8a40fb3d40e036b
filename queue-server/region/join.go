package region

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Replicas is how many nodes of the region's cluster hold each of its
// streams: three, so one node may fail and the streams keep serving.
const Replicas = 3

// RegionRetention is how long the regional stream keeps an event. The
// regional server's file holds what the events made, so the stream only
// has to outlast an outage of the regional server (or a rebuild of a
// reader that starts late); without a bound a region's year would fill
// the nodes' storage, and a full stream stops taking the offices' events.
const RegionRetention = 30 * 24 * time.Hour

// OfficesBucket is the key-value bucket in the region's domain that lists
// the offices that joined, each with what the region needs to read its
// events (OfficeInfo), keyed by office id.
const OfficesBucket = "REGION_OFFICES"

// SourceConsumer is the name of the durable consumer on each office stream
// through which the regional stream sources it.
const SourceConsumer = "REGION"

// sourceMaxAckPending bounds what the office sends over the leaf link
// before the region confirms it; a day of a large office is ~15,000 events.
const sourceMaxAckPending = 10000

// DeliverSubject is where an office stream's durable source consumer pushes
// messages to the regional stream, across the leaf link.
func DeliverSubject(officeID string) string { return "talon.region.source." + token(officeID) }

// OfficeInfo is what the region keeps about an office that joined.
type OfficeInfo struct {
	ID string `json:"id"`
	// TimeZone (IANA) gives the office's days and hours in the statistics;
	// the events do not carry it.
	TimeZone string `json:"time_zone"`
	// Feeds is what the regional МКГУ and МДМ feeds make the office's
	// packets from, taken from the office's file at join; nil: the region
	// feeds nothing of the office (docs/region.md, "Feeds").
	Feeds *Catalog `json:"feeds,omitempty"`
}

// Connect connects to the region's cluster at urls (comma-separated),
// reconnecting for ever: the regional server outlives a node's restart.
// Nothing is buffered while disconnected: an acknowledgement that cannot be
// sent is better lost (the message comes again and is recognised) than
// sent late, after the message came again. opts add credentials and TLS
// (Link.Options).
func Connect(urls, name string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond), nats.ReconnectBufSize(-1)}, opts...)
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		return nil, refusal(urls, err)
	}
	return nc, nil
}

// EnsureStream creates the regional stream and the offices' bucket if they
// do not exist; an existing stream keeps its sources.
func EnsureStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        RegionStream,
		Description: "События всех офисов региона: по источнику на офис",
		Storage:     jetstream.FileStorage,
		Replicas:    Replicas,
		MaxAge:      RegionRetention,
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("региональный поток %s не создан: %w", RegionStream, err)
	}
	if _, err := offices(ctx, js); err != nil {
		return err
	}
	return nil
}

func offices(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      OfficesBucket,
		Description: "Офисы, вошедшие в регион",
		Storage:     jetstream.FileStorage,
		Replicas:    Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("список офисов региона %s недоступен: %w", OfficesBucket, err)
	}
	return kv, nil
}

// Join adds an office to the region: it records the office, makes the
// durable consumer on the office's stream in the office's domain (so the
// office node must be linked now) and adds that consumer as a source of
// the regional stream. Joining again changes nothing but the record.
//
// The source is durable (StreamSource.Consumer, nats-server 2.14+): the
// office keeps the consumer's position, so after a cut link the source
// resumes from where it stopped within seconds, where an ordinary source
// re-creates its consumer and may wait half a minute.
func Join(ctx context.Context, nc *nats.Conn, office OfficeInfo) error {
	if _, err := time.LoadLocation(office.TimeZone); err != nil || office.TimeZone == "" {
		return fmt.Errorf("неизвестный часовой пояс %q офиса %q", office.TimeZone, office.ID)
	}
	if c := office.Feeds; c != nil && (c.Office.ID != office.ID || c.Office.TimeZone != office.TimeZone) {
		return fmt.Errorf("файл офиса описывает офис %q в поясе %q, а в регион входит офис %q в поясе %q", c.Office.ID, c.Office.TimeZone, office.ID, office.TimeZone)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if err := EnsureStream(ctx, js); err != nil {
		return err
	}
	kv, err := offices(ctx, js)
	if err != nil {
		return err
	}
	// Recorded first: the regional server looks the zone up when the
	// office's first event arrives.
	rec, _ := json.Marshal(office)
	if _, err := kv.Put(ctx, office.ID, rec); err != nil {
		return fmt.Errorf("офис %q не записан в список региона: %w", office.ID, err)
	}
	ojs, err := jetstream.NewWithDomain(nc, OfficeDomain(office.ID))
	if err != nil {
		return err
	}
	_, err = ojs.CreateOrUpdatePushConsumer(ctx, OfficeStream(office.ID), jetstream.ConsumerConfig{
		Durable:        SourceConsumer,
		Description:    "Источник регионального потока " + RegionStream,
		DeliverSubject: DeliverSubject(office.ID),
		AckPolicy:      jetstream.AckFlowControlPolicy,
		FlowControl:    true,
		IdleHeartbeat:  time.Second,
		MaxAckPending:  sourceMaxAckPending,
	})
	if err != nil {
		return fmt.Errorf("поток офиса %q (%s в домене %s) недоступен: узел офиса должен быть запущен и связан с регионом: %w",
			office.ID, OfficeStream(office.ID), OfficeDomain(office.ID), err)
	}
	s, err := js.Stream(ctx, RegionStream)
	if err != nil {
		return fmt.Errorf("региональный поток %s недоступен: %w", RegionStream, err)
	}
	cfg := s.CachedInfo().Config
	if slices.ContainsFunc(cfg.Sources, func(src *jetstream.StreamSource) bool { return src.Name == OfficeStream(office.ID) }) {
		return nil
	}
	cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{
		Name:     OfficeStream(office.ID),
		External: &jetstream.ExternalStream{APIPrefix: APIPrefix(OfficeDomain(office.ID))},
		Consumer: &jetstream.StreamConsumerSource{Name: SourceConsumer, DeliverSubject: DeliverSubject(office.ID)},
	})
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("офис %q не добавлен источником регионального потока: %w", office.ID, err)
	}
	return nil
}

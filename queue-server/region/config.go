package region

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/talonqueue/talon/queue-server/officefile"
)

// Configuration flows down: the region keeps each office's configuration
// as an office file (talon-office/1, docs/office-file.md) under the
// office's id in ConfigBucket, and each office node applies the newest
// revision it has not applied yet, reporting what it did in
// ConfigStatusBucket. A revision is a whole file, so applying the newest
// one is applying every one before it in turn.
const (
	ConfigBucket       = "REGION_CONFIG"
	ConfigStatusBucket = "REGION_CONFIG_STATUS"
)

// ConfigStatus is what an office node last did with its configuration.
type ConfigStatus struct {
	OfficeID string `json:"office_id"`
	// Applied is the revision the office works on, 0 before any.
	Applied uint64 `json:"applied"`
	// Local are the sections the office keeps its own (left out of the
	// region's file).
	Local []string `json:"local,omitempty"`
	// Refused is a newer revision the office could not apply, and Reason
	// why; it tries again until it can, or until a newer one comes.
	Refused uint64 `json:"refused,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// At is when the node reported this.
	At time.Time `json:"at"`
}

// OfficeConfig is an office's configuration at the region.
type OfficeConfig struct {
	OfficeID string
	// Revision is 0 when the region holds none for the office.
	Revision uint64
	File     []byte
	SetAt    time.Time
	// Status is the office's last report, nil before any.
	Status *ConfigStatus
}

func configBuckets(ctx context.Context, js jetstream.JetStream) (cfg, status jetstream.KeyValue, err error) {
	if cfg, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      ConfigBucket,
		Description: "Конфигурация офисов региона: файл офиса talon-office/1 по идентификатору офиса",
		Storage:     jetstream.FileStorage,
		Replicas:    Replicas,
	}); err != nil {
		return nil, nil, fmt.Errorf("конфигурация офисов региона %s недоступна: %w", ConfigBucket, err)
	}
	if status, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      ConfigStatusBucket,
		Description: "Что каждый офис сделал со своей конфигурацией",
		Storage:     jetstream.FileStorage,
		Replicas:    Replicas,
	}); err != nil {
		return nil, nil, fmt.Errorf("состояние конфигурации офисов %s недоступно: %w", ConfigStatusBucket, err)
	}
	return cfg, status, nil
}

// SetConfig checks an office's file on its own (CheckConfig: every mistake
// with its line, and its office.id must be officeID) and makes it the
// office's configuration at the region, returning its revision. The office
// applies it when its node is linked, now or later.
func SetConfig(ctx context.Context, js jetstream.JetStream, officeID, name string, file []byte) (uint64, error) {
	if err := CheckConfig(officeID, name, file); err != nil {
		return 0, err
	}
	kv, _, err := configBuckets(ctx, js)
	if err != nil {
		return 0, err
	}
	rev, err := kv.Put(ctx, officeID, file)
	if err != nil {
		return 0, fmt.Errorf("конфигурация офиса %q не записана в регионе: %w", officeID, err)
	}
	// Only a wake-up: an office that misses it reads the key later.
	_ = js.Conn().Publish(ConfigSubject(officeID), nil)
	if err := refreshCatalog(ctx, js, officeID, name, file); err != nil {
		return rev, fmt.Errorf("конфигурация офиса %q записана (ревизия %d), но каталог регионального сервера для пакетов МКГУ и МДМ не обновлён: %w; повторите команду", officeID, rev, err)
	}
	return rev, nil
}

// CatalogOf reads an office file as office id's catalogue for the regional
// feeds: the office and its services as a server holding the file would
// store them.
func CatalogOf(name string, file []byte, officeID string) (*Catalog, error) {
	f, err := officefile.Parse(name, file)
	if err != nil {
		return nil, err
	}
	o, services, err := f.Catalog(officeID)
	if err != nil {
		return nil, err
	}
	return &Catalog{Office: o, Services: services}, nil
}

// refreshCatalog makes an office's configuration the catalogue its record
// in OfficesBucket gives the regional feeds, so the office's codes are
// kept in one place; an office not joined yet takes it at join. A file
// that leaves the services to the office keeps the services the record
// has. The record is replaced only at the revision read, so a join
// meanwhile is not overwritten with older data.
func refreshCatalog(ctx context.Context, js jetstream.JetStream, officeID, name string, file []byte) error {
	kv, err := offices(ctx, js)
	if err != nil {
		return err
	}
	e, err := kv.Get(ctx, officeID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var info OfficeInfo
	if err := json.Unmarshal(e.Value(), &info); err != nil {
		return fmt.Errorf("запись офиса %q в %s не читается: %w", officeID, OfficesBucket, err)
	}
	c, err := CatalogOf(name, file, officeID)
	if err != nil {
		return err
	}
	if f, _ := officefile.Parse(name, file); !f.Has("services") && info.Feeds != nil {
		c.Services = info.Feeds.Services
	}
	info.Feeds, info.TimeZone = c, c.Office.TimeZone
	rec, err := json.Marshal(info)
	if err != nil {
		return err
	}
	_, err = kv.Update(ctx, officeID, rec, e.Revision())
	return err
}

// CheckConfig checks an office's file on its own, as SetConfig does before
// storing it.
func CheckConfig(officeID, name string, file []byte) error {
	f, err := officefile.Parse(name, file)
	if err != nil {
		return err
	}
	if f.Office.ID != officeID {
		return fmt.Errorf("файл %s описывает офис %q, а не %q", name, f.Office.ID, officeID)
	}
	return nil
}

// GetConfig returns an office's configuration at the region and the
// office's last report about it.
func GetConfig(ctx context.Context, js jetstream.JetStream, officeID string) (OfficeConfig, error) {
	out := OfficeConfig{OfficeID: officeID}
	kv, status, err := configBuckets(ctx, js)
	if err != nil {
		return out, err
	}
	e, err := kv.Get(ctx, officeID)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return out, fmt.Errorf("конфигурация офиса %q не прочитана: %w", officeID, err)
	default:
		out.Revision, out.File, out.SetAt = e.Revision(), e.Value(), e.Created()
	}
	s, err := status.Get(ctx, officeID)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return out, fmt.Errorf("состояние конфигурации офиса %q не прочитано: %w", officeID, err)
	default:
		var st ConfigStatus
		if err := json.Unmarshal(s.Value(), &st); err != nil {
			return out, fmt.Errorf("состояние конфигурации офиса %q не читается: %w", officeID, err)
		}
		out.Status = &st
	}
	return out, nil
}

// ListConfigs returns the configuration of every office the region holds
// one for, in id order, with each office's last report.
func ListConfigs(ctx context.Context, js jetstream.JetStream) ([]OfficeConfig, error) {
	kv, _, err := configBuckets(ctx, js)
	if err != nil {
		return nil, err
	}
	keys, err := kv.Keys(ctx)
	switch {
	case errors.Is(err, jetstream.ErrNoKeysFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("список конфигураций офисов не прочитан: %w", err)
	}
	slices.Sort(keys)
	out := make([]OfficeConfig, 0, len(keys))
	for _, id := range keys {
		c, err := GetConfig(ctx, js, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

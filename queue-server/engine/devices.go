package engine

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/talonqueue/talon/queue-server/domain"
)

// device returns a device of the office for an administrator's change.
func (e *Engine) device(a domain.Actor, officeID, deviceID string) (*office, *domain.Device, error) {
	o, err := e.configure(a, officeID)
	if err != nil {
		return nil, nil, err
	}
	d := o.devices[deviceID]
	if d == nil {
		return nil, nil, domain.Errorf(domain.CodeNotFound, "устройство %q не найдено", deviceID)
	}
	return o, d, nil
}

// CreatePairingCode gives the administrator a one-time code for the device.
// Only its hash is kept; a new code replaces one not yet used. A device that
// is paired keeps working until the code is used, so a terminal can be
// re-paired (a new disk, a new machine) without a gap.
func (e *Engine) CreatePairingCode(a domain.Actor, officeID, deviceID string, ch *domain.Changes) (domain.PairingCode, error) {
	o, d, err := e.device(a, officeID, deviceID)
	if err != nil {
		return domain.PairingCode{}, err
	}
	code := ""
	for i := 0; i < 20 && code == ""; i++ {
		if c := e.cfg.NewPairingCode(); e.pendingDevice(domain.HashSecret(c)) == nil {
			code = c
		}
	}
	if code == "" {
		return domain.PairingCode{}, domain.Internal(errNoCode, "allocate pairing code")
	}
	now := e.cfg.Now()
	d.PairingCodeHash, d.PairingExpiresAt = domain.HashSecret(code), ptr(now.Add(domain.PairingCodeTTL))
	e.deviceChanged(o, a, d, ch)
	return domain.PairingCode{OfficeID: officeID, DeviceID: deviceID, Code: domain.FormatPairingCode(code), ExpiresAt: *d.PairingExpiresAt}, nil
}

// pendingDevice finds the device waiting for the code with this hash.
func (e *Engine) pendingDevice(codeHash string) *domain.Device {
	for _, o := range e.offices {
		for _, d := range o.devices {
			if d.PairingCodeHash != "" && subtle.ConstantTimeCompare([]byte(d.PairingCodeHash), []byte(codeHash)) == 1 {
				return d
			}
		}
	}
	return nil
}

// PairDevice exchanges a code for a new credential. Nobody is logged in: the
// code itself is the authority, once and for PairingCodeTTL.
func (e *Engine) PairDevice(code string, ch *domain.Changes) (domain.DevicePairing, error) {
	norm, err := domain.ParsePairingCode(code)
	if err != nil {
		return domain.DevicePairing{}, err
	}
	d := e.pendingDevice(domain.HashSecret(norm))
	if d == nil {
		return domain.DevicePairing{}, domain.Errorf(domain.CodeNotFound, "код привязки не найден или уже использован: попросите администратора выдать новый")
	}
	now := e.cfg.Now()
	o := e.offices[d.OfficeID]
	if !now.Before(*d.PairingExpiresAt) {
		return domain.DevicePairing{}, domain.Errorf(domain.CodeConflict, "срок кода привязки истёк в %s: попросите администратора выдать новый", d.PairingExpiresAt.In(o.loc).Format("15:04"))
	}
	secret := e.cfg.NewSecret()
	d.PairingCodeHash, d.PairingExpiresAt = "", nil
	d.CredentialHash, d.PairedAt, d.RevokedAt = domain.HashSecret(secret), ptr(now), nil
	e.deviceChanged(o, domain.Actor{Login: domain.DeviceLogin(d.OfficeID, d.ID), Role: domain.RoleDevice, OfficeID: d.OfficeID, DeviceID: d.ID, DeviceKind: d.Kind}, d, ch)
	return domain.DevicePairing{Credential: domain.DeviceCredential(d.OfficeID, d.ID, secret), Device: *d}, nil
}

// RevokeDevice drops the device's credential and any code waiting for it.
func (e *Engine) RevokeDevice(a domain.Actor, officeID, deviceID string, ch *domain.Changes) (domain.Device, error) {
	o, d, err := e.device(a, officeID, deviceID)
	if err != nil {
		return domain.Device{}, err
	}
	d.PairingCodeHash, d.PairingExpiresAt, d.CredentialHash, d.RevokedAt = "", nil, "", ptr(e.cfg.Now())
	e.deviceChanged(o, a, d, ch)
	return *d, nil
}

func (e *Engine) deviceChanged(o *office, a domain.Actor, d *domain.Device, ch *domain.Changes) {
	ch.Devices = append(ch.Devices, *d)
	e.configEvent(o, a, ch, domain.KindDevice, d.ID)
}

// DeviceKey names a device in the credential table.
func DeviceKey(officeID, deviceID string) string { return officeID + "/" + deviceID }

// DeviceCredential is a paired device's credential hash and its actor.
type DeviceCredential struct {
	Hash  string
	Actor domain.Actor
}

// DeviceCredentials returns every paired device by DeviceKey, for credential
// checks that must not wait for the writer.
func (e *Engine) DeviceCredentials() map[string]DeviceCredential {
	out := map[string]DeviceCredential{}
	for _, o := range e.offices {
		for _, d := range o.devices {
			if d.Paired() {
				out[DeviceKey(d.OfficeID, d.ID)] = DeviceCredential{Hash: d.CredentialHash, Actor: domain.Actor{
					Login: domain.DeviceLogin(d.OfficeID, d.ID), Role: domain.RoleDevice, OfficeID: d.OfficeID,
					DeviceID: d.ID, DeviceKind: d.Kind, WindowID: d.WindowID,
				}}
			}
		}
	}
	return out
}

// ReportDeviceState records what a device says of its hardware: a kiosk its
// printer, a hall display its window LED boards. Only the device itself may
// report, so neither staff nor another terminal can hide
// or fake an alert. A report that changes nothing emits nothing: kiosks
// repeat theirs on every reconnect.
func (e *Engine) ReportDeviceState(a domain.Actor, officeID, deviceID string, st domain.DeviceState, ch *domain.Changes) (domain.DeviceState, error) {
	o, err := e.officeAs(a, officeID, permReportState)
	if err != nil {
		return domain.DeviceState{}, err
	}
	if a.DeviceID != deviceID {
		return domain.DeviceState{}, domain.Errorf(domain.CodeForbidden, "устройство может сообщать только о своём состоянии")
	}
	if o.devices[deviceID] == nil {
		return domain.DeviceState{}, domain.Errorf(domain.CodeNotFound, "устройство %q не найдено", deviceID)
	}
	if err := st.Validate(); err != nil {
		return domain.DeviceState{}, err
	}
	if a.DeviceKind == domain.DeviceKiosk && st.Printer == "" {
		return domain.DeviceState{}, domain.Errorf(domain.CodeInvalid, "киоск должен сообщить состояние своего принтера")
	}
	if old, ok := o.states[deviceID]; ok && old.Same(st) {
		return old, nil
	}
	now := e.cfg.Now()
	st.At = now
	o.states[deviceID] = st
	o.emit(ch, a, domain.Event{Type: domain.EventDeviceState, At: now, DeviceID: deviceID, DeviceState: &st})
	return st, nil
}

// Sessions end early (logout) by a revocation kept until the session would
// have ended anyway, as a setting: settings are loaded whole at start, so the
// revocation survives a restart without a table of its own.
const revokedSessionPrefix = "revoked_session/"

// EndSession revokes a person's session until the time it would end by itself.
func (e *Engine) EndSession(a domain.Actor, until time.Time, ch *domain.Changes) error {
	if a.Login == "" {
		return domain.Errorf(domain.CodeUnauthorized, "войдите в систему")
	}
	if a.Role == domain.RoleDevice {
		return domain.Errorf(domain.CodeForbidden, "у устройства нет сеанса входа: чтобы отключить его, отзовите устройство")
	}
	if a.IntegrationID != "" {
		return domain.Errorf(domain.CodeForbidden, "у интеграции нет сеанса входа: её токены действуют до своего срока, а ключ отзывает администратор региона")
	}
	if a.SessionID == "" {
		return domain.Errorf(domain.CodeInvalid, "у этого входа нет сеанса: войдите снова")
	}
	e.PutSetting(revokedSessionPrefix+a.SessionID, until.UTC().Format(time.RFC3339), ch)
	return nil
}

// RevokedSessions returns the ended sessions that could still be presented.
func (e *Engine) RevokedSessions() map[string]bool {
	out := map[string]bool{}
	for k := range e.settings {
		if id, ok := strings.CutPrefix(k, revokedSessionPrefix); ok && e.settings[k] != "" {
			out[id] = true
		}
	}
	return out
}

// forgetRevocations drops revocations of sessions that have ended anyway.
func (e *Engine) forgetRevocations(now time.Time, ch *domain.Changes) {
	for k, v := range e.settings {
		if !strings.HasPrefix(k, revokedSessionPrefix) || v == "" {
			continue
		}
		if until, err := time.Parse(time.RFC3339, v); err != nil || now.After(until) {
			e.PutSetting(k, "", ch)
		}
	}
}

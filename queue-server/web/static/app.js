// Talon office page: live load, queue, windows and calls of one office, the
// running line of its hall boards, and its devices (kiosks, boards, rating
// terminals) with their pairing and hardware alerts, and waits over the norm.
// State comes from the REST API; the WebSocket stream says when it changed
// (the page then reloads the state, so it never has to merge events itself).
// What only some roles do lives in sections of its own (hall.js: the hall
// administrator's tools), registered with section().
"use strict";

const $ = (id) => document.getElementById(id);
const api = "/api/v1";
let token = sessionStorage.getItem("talon.token") || "";
let actor = JSON.parse(sessionStorage.getItem("talon.actor") || "null");
let office = "";
// The office's time zone: times are shown as the office lives them. Before
// login the server names the zone of its first office in the page.
let zone;
let services = {};
let snapshot = null; // the last snapshot drawn: waits grow between events
let operators = {};
let windows = []; // the office's windows from the snapshot: names and the device form
let devices = [];
let devicesStale = false; // reload the device list with the next refresh
let devicesGen = 0; // only the latest device list is drawn
let confirmRevoke = ""; // the device whose «Отозвать» was clicked once
let confirmTimer = null;
let announcements = []; // the running line, from the snapshot
let editing = null; // the announcement in the form: its id, "" for a new one, null when closed
let confirmDelete = ""; // the announcement whose «Удалить» was clicked once
let deleteTimer = null;
let socket = null;
let lastSeq = null;
let backoff = 500;
let refreshTimer = null;
let reconnectTimer = null;
let lostSince = null; // when the stream was lost: kept across retries until it is back
let lostWhy = ""; // the server's bye: why it closed the stream (shutting down on a low UPS battery)

// sections are the parts of the page for some roles only. Each one has
// roles (who sees it), reset() (logout, another office), and may have
// render(snapshot) and queueRow(cell, ticket), which puts the actions of a
// queue row into its last cell.
const sections = [];

function section(s) {
  sections.push(s);
}

function mySections() {
  return sections.filter((s) => !!actor && s.roles.includes(actor.role));
}

const statusRu = { waiting: "ожидает", postponed: "отложен", called: "вызван", serving: "обслуживается" };
const windowRu = { open: "работает", paused: "перерыв", closed: "закрыто" };
const kindRu = { kiosk: "Киоск", display: "Табло", rating: "Терминал оценки", panel: "Место оператора" };
// printerRu is domain.PrinterState.Words: what the hall administrator should do.
const printerRu = {
  paper_near_end: "бумага заканчивается — приготовьте новый рулон",
  paper_out: "закончилась бумага — замените рулон",
  cover_open: "открыта крышка принтера — закройте её",
  offline: "принтер не отвечает — проверьте питание и кабель",
  error: "ошибка принтера — проверьте отрезчик и замятие бумаги",
};
// powerWords is domain.PowerState.Words: the server's power in a sentence.
function powerWords(p) {
  const parts = [];
  if (p.charge >= 0) parts.push("заряд " + p.charge + " %");
  if (p.runtime_seconds >= 0) parts.push("осталось около " + Math.ceil(p.runtime_seconds / 60) + " мин");
  const battery = parts.join(", ");
  switch (p.status) {
    case "on_battery":
      return "Сервер работает от ИБП" + (battery ? ": " + battery : "") + ". Сохраняйте работу: при разряде батареи сервер выключится.";
    case "low_battery":
      return "Батарея ИБП разряжена" + (battery ? " (" + battery + ")" : "") + ": сервер очереди выключается.";
    case "unknown":
      return "Нет связи с ИБП сервера: об отключении питания никто не предупредит. Проверьте upsd и кабель ИБП.";
  }
  return "";
}
// atWindow are the kinds of device that belong to a window.
const atWindow = ["rating", "panel"];
// Roles that may list devices (docs/access.md): others never ask, so they see
// neither the section nor a refused request in the console.
const deviceRoles = ["admin", "manager", "hall"];
// Roles that read the statistics page (getStats in docs/access.md).
const statsRoles = ["admin", "manager"];
// Roles that keep the hall boards' running line.
const announceRoles = ["admin", "hall"];
const weekdayRu = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]; // ISO 1 (Monday) to 7

function showError(msg) {
  const el = $("error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

async function call(method, path, body) {
  const opts = { method, headers: {} };
  const sent = token;
  if (sent) opts.headers["Authorization"] = "Bearer " + sent;
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(api + path, opts);
  } catch (e) {
    throw new Error("Нет связи с сервером очереди.");
  }
  const data = resp.status === 204 ? null : await resp.json().catch(() => null);
  if (!resp.ok) {
    // A refusal of a token already given up must not end the next login.
    if (resp.status === 401 && path !== "/login" && sent === token) logout();
    const err = new Error((data && data.error && data.error.message) || "Сервер ответил ошибкой " + resp.status + ".");
    err.status = resp.status;
    throw err;
  }
  return data;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

// waitWords says a wait the way people read it: "12 мин", "1 ч 05 мин".
function waitWords(sec) {
  const m = Math.floor(Math.max(0, sec) / 60);
  if (m < 60) return m + " мин";
  return Math.floor(m / 60) + " ч " + String(m % 60).padStart(2, "0") + " мин";
}

// normSeconds is the wait a ticket's service allows (engine's office.norm):
// the appointment norm for appointments when the service sets one.
function normSeconds(t) {
  const s = services[t.original_service_id] || services[t.service_id] || {};
  const min = (t.appointment_at && s.appointment_norm_minutes) || s.wait_norm_minutes || 15;
  return min * 60;
}

// overNorm lists the waiting tickets that have waited longer than their
// norm, longest first, with the wait and the norm in seconds.
function overNorm(queue, now) {
  const out = [];
  for (const t of queue) {
    if (t.status !== "waiting" || (t.appointment_at && Date.parse(t.appointment_at) > now)) continue;
    const waited = (now - Date.parse(t.queued_at)) / 1000, norm = normSeconds(t);
    if (waited > norm) out.push({ t, waited, norm });
  }
  return out.sort((a, b) => b.waited - a.waited);
}

function tile(parent, value, label, over) {
  const t = document.createElement("div");
  t.className = "tile" + (over ? " over" : "");
  const v = document.createElement("div");
  v.className = "v";
  v.textContent = value;
  const k = document.createElement("div");
  k.className = "k";
  k.textContent = label;
  t.append(v, k);
  parent.append(t);
}

function renderLoad(l) {
  const el = $("load");
  el.replaceChildren();
  tile(el, l.tickets_waiting, "ожидают");
  tile(el, l.tickets_in_service, "у окон");
  tile(el, l.tickets_done, "обслужено сегодня");
  tile(el, l.windows_active + " / " + l.windows_total, "окон работает");
  tile(el, l.windows_stopped, "на перерыве");
  tile(el, waitWords(l.avg_wait_seconds), "среднее ожидание");
  tile(el, waitWords(l.max_wait_seconds), "дольше всех ждёт", !!snapshot && overNorm(snapshot.queue, Date.now()).length > 0);
  tile(el, l.within_norm + " / " + l.over_norm, "в норме / сверх нормы", l.over_norm > 0);
}

function serviceName(id) {
  return (services[id] && services[id].name) || id;
}

function clock(d) {
  return d.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: zone });
}

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", timeZone: zone });
}

function dateTime(iso) {
  return new Date(iso).toLocaleString("ru-RU", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: zone });
}

function windowName(w) {
  return w.name || "Окно " + w.number;
}

function renderSnapshot(s) {
  snapshot = s;
  $("title").textContent = s.office.name;
  zone = s.office.time_zone || undefined;
  services = {};
  for (const sv of s.services) services[sv.id] = sv;
  windows = s.windows.map((ws) => ws.window);
  renderQueue();

  renderWindowChoice();
  const w = $("windows").tBodies[0];
  w.replaceChildren();
  for (const ws of s.windows) {
    const r = w.insertRow();
    r.dataset.window = ws.window.id;
    const name = cell(r, windowName(ws.window), "name");
    name.title = windowName(ws.window); // a long name is cut short on screen
    let state = windowRu[ws.session.status] || ws.session.status;
    const op = operators[ws.session.operator_id];
    if (ws.session.status !== "closed" && op) state += " — " + op.full_name;
    if (ws.session.pause_reason) state += " (" + ws.session.pause_reason + ")";
    cell(r, state);
    cell(r, ws.ticket ? ws.ticket.number + " " + (statusRu[ws.ticket.status] || "") : "", ws.ticket ? "num" : "");
  }

  const calls = $("calls");
  calls.replaceChildren();
  for (const t of s.recent_calls.slice(0, 10)) {
    const li = document.createElement("li");
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = t.number;
    li.append(num, " → окно " + t.window_number + ", " + hhmm(t.called_at));
    calls.append(li);
  }
  announcements = s.announcements || [];
  renderAnnouncements();
  for (const sec of mySections()) if (sec.render) sec.render(s);
  $("updated").textContent = "Обновлено в " + clock(new Date());
}

// renderQueue draws the queue of the last snapshot with the waits as of
// now; it runs on every snapshot and on a timer, since waits grow without
// events. A ticket over its norm is highlighted and raises an alert.
function renderQueue() {
  if (!snapshot) return;
  const now = Date.now();
  const late = new Map(overNorm(snapshot.queue, now).map((o) => [o.t.id, o]));
  const acting = mySections().filter((sec) => sec.queueRow);
  $("queue-actions").hidden = acting.length === 0;
  const q = $("queue").tBodies[0];
  q.replaceChildren();
  for (const t of snapshot.queue) {
    const r = q.insertRow();
    r.dataset.number = t.number;
    r.dataset.ticket = t.id;
    const num = cell(r, t.number, "num");
    if (t.priority_category_id || t.priority) {
      const cat = document.createElement("div");
      cat.className = "muted priority";
      cat.textContent = "льготный" + (t.priority_document ? ": " + t.priority_document : "");
      num.append(cat);
    }
    cell(r, serviceName(t.service_id));
    cell(r, waitWords((now - Date.parse(t.queued_at)) / 1000), late.has(t.id) ? "wait late" : "wait");
    cell(r, t.position || "").title = "Место в очереди услуги «" + serviceName(t.service_id) + "»";
    let state = statusRu[t.status] || t.status;
    const target = t.target_window_id && windows.find((w) => w.id === t.target_window_id);
    if (target) state += " → " + windowName(target);
    cell(r, state);
    if (late.has(t.id)) r.dataset.over = "true";
    if (acting.length) {
      const td = cell(r, "", "actions");
      for (const sec of acting) sec.queueRow(td, t);
    }
  }
  $("queue-empty").hidden = snapshot.queue.length > 0;
  renderAlerts();
}

// The running line of the hall boards: the snapshot carries it, the hall
// administrator and the administrators keep it. Boards apply the schedule
// themselves; the page says it in words.

function canAnnounce() {
  return !!actor && announceRoles.includes(actor.role);
}

function announcementPath(id) {
  return "/offices/" + office + "/announcements/" + encodeURIComponent(id);
}

function showAnnouncementsError(msg) {
  const el = $("announcements-error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

// officeWall is an instant as the office's wall clock, for datetime-local.
function officeWall(iso) {
  const p = {};
  const f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  for (const x of f.formatToParts(new Date(iso))) p[x.type] = x.value;
  return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute;
}

// officeInstant reads a datetime-local value as the office's wall clock:
// the instant whose office wall clock it is (two steps settle any offset).
function officeInstant(wall) {
  const asUTC = (w) => Date.parse(w + ":00Z");
  const want = asUTC(wall);
  let t = want;
  for (let i = 0; i < 2; i++) t = want - (asUTC(officeWall(new Date(t).toISOString())) - t);
  return new Date(t).toISOString();
}

function scheduleWords(a) {
  const parts = [a.weekdays && a.weekdays.length ? a.weekdays.map((d) => weekdayRu[d - 1]).join(", ") : "каждый день"];
  if (a.daily_from) parts.push(a.daily_from + "–" + a.daily_until);
  if (a.from) parts.push("с " + dateTime(a.from));
  if (a.until) parts.push("до " + dateTime(a.until));
  return parts.join("; ");
}

function renderAnnouncements() {
  const body = $("announcements-list").tBodies[0];
  body.replaceChildren();
  for (const a of announcements) {
    const r = body.insertRow();
    r.dataset.announcement = a.id;
    r.dataset.enabled = String(a.enabled);
    cell(r, a.text);
    cell(r, scheduleWords(a));
    cell(r, a.enabled ? "включено" : "выключено");
    const td = cell(r, "", "actions");
    td.append(actionButton("Изменить", "edit", () => editAnnouncement(a)));
    td.append(actionButton(a.enabled ? "Выключить" : "Включить", "toggle", () => saveAnnouncement({ ...a, enabled: !a.enabled })));
    const sure = confirmDelete === a.id;
    const b = actionButton(sure ? "Точно удалить?" : "Удалить", "delete", () => deleteAnnouncement(a, sure));
    if (sure) b.className = "danger";
    td.append(b);
  }
  $("announcements-empty").hidden = announcements.length > 0;
}

// editAnnouncement opens the form with a, or empty for a new one.
function editAnnouncement(a) {
  editing = a ? a.id : "";
  $("announcement-form-title").textContent = a ? "Изменить объявление" : "Новое объявление";
  $("announcement-text").value = a ? a.text : "";
  $("announcement-enabled").checked = a ? a.enabled : true;
  $("announcement-order").value = (a && a.order) || 0;
  $("announcement-from").value = a && a.from ? officeWall(a.from) : "";
  $("announcement-until").value = a && a.until ? officeWall(a.until) : "";
  for (const box of $("announcement-weekdays").querySelectorAll("input")) {
    box.checked = !!a && (a.weekdays || []).includes(Number(box.value));
  }
  $("announcement-daily-from").value = (a && a.daily_from) || "";
  $("announcement-daily-until").value = (a && a.daily_until) || "";
  showAnnouncementsError("");
  $("announcement-form").hidden = false;
  $("announcement-new").hidden = true;
  $("announcement-text").focus();
}

function closeAnnouncementForm() {
  editing = null;
  $("announcement-form").hidden = true;
  $("announcement-new").hidden = false;
}

async function submitAnnouncement(ev) {
  ev.preventDefault();
  // A new text gets an id of its own: nobody needs to invent one.
  const id = editing || "a-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  const a = { id, text: $("announcement-text").value.trim(), enabled: $("announcement-enabled").checked };
  const order = parseInt($("announcement-order").value, 10);
  if (order) a.order = order;
  if ($("announcement-from").value) a.from = officeInstant($("announcement-from").value);
  if ($("announcement-until").value) a.until = officeInstant($("announcement-until").value);
  const days = [...$("announcement-weekdays").querySelectorAll("input:checked")].map((b) => Number(b.value));
  if (days.length) a.weekdays = days;
  if ($("announcement-daily-from").value) a.daily_from = $("announcement-daily-from").value;
  if ($("announcement-daily-until").value) a.daily_until = $("announcement-daily-until").value;
  if (await saveAnnouncement(a)) closeAnnouncementForm();
}

// saveAnnouncement draws what the server answered at once, without waiting
// for the stream.
async function saveAnnouncement(a) {
  try {
    const saved = await call("PUT", announcementPath(a.id), a);
    announcements = announcements.filter((x) => x.id !== saved.id).concat(saved);
    announcements.sort((x, y) => (x.order || 0) - (y.order || 0) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    showAnnouncementsError("");
    renderAnnouncements();
    return true;
  } catch (e) {
    showAnnouncementsError(e.message);
    return false;
  }
}

async function deleteAnnouncement(a, sure) {
  clearTimeout(deleteTimer);
  if (!sure) {
    // The first click only arms the button: the boards drop the text at once.
    confirmDelete = a.id;
    deleteTimer = setTimeout(() => { confirmDelete = ""; renderAnnouncements(); }, 5000);
    renderAnnouncements();
    return;
  }
  confirmDelete = "";
  try {
    await call("DELETE", announcementPath(a.id));
    announcements = announcements.filter((x) => x.id !== a.id);
    if (editing === a.id) closeAnnouncementForm();
    showAnnouncementsError("");
  } catch (e) {
    showAnnouncementsError(e.message);
  }
  renderAnnouncements();
}

function resetAnnouncements() {
  announcements = [];
  confirmDelete = "";
  clearTimeout(deleteTimer);
  closeAnnouncementForm();
  showAnnouncementsError("");
  renderAnnouncements();
  $("announcements").hidden = !canAnnounce();
}

// Devices: the list for every role that may see it; registering, pairing
// codes and revoking for administrators.

function canListDevices() {
  return !!actor && deviceRoles.includes(actor.role);
}

function isAdmin() {
  return !!actor && actor.role === "admin";
}

function devicePath(id) {
  return "/offices/" + office + "/devices/" + encodeURIComponent(id);
}

function showDevicesError(msg) {
  const el = $("devices-error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

function deviceKind(d) {
  const kind = kindRu[d.kind] || d.kind;
  if (!atWindow.includes(d.kind)) return kind;
  const w = windows.find((x) => x.id === d.window_id);
  return kind + " — " + (w ? windowName(w) : d.window_id);
}

// deviceState names where the device stands (data-state, for styles and
// tests) and says it in words.
function deviceState(d) {
  // A code that ran out is worthless: no need to wait for the server to say so.
  const waiting = d.pairing_expires_at && Date.parse(d.pairing_expires_at) > Date.now()
    ? "ожидает привязки до " + hhmm(d.pairing_expires_at) : "";
  if (d.revoked_at) return ["revoked", "отозвано " + dateTime(d.revoked_at) + (waiting ? "; " + waiting : "")];
  if (d.paired_at) return ["paired", "привязано с " + dateTime(d.paired_at) + (waiting ? "; новый код действует до " + hhmm(d.pairing_expires_at) : "")];
  if (waiting) return ["waiting", waiting];
  return ["unpaired", "не привязано"];
}

function actionButton(label, action, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = action;
  b.addEventListener("click", onClick);
  return b;
}

function renderDevices() {
  const admin = isAdmin();
  $("devices-actions").hidden = !admin;
  const body = $("devices-list").tBodies[0];
  body.replaceChildren();
  for (const d of devices) {
    const r = body.insertRow();
    const [state, words] = deviceState(d);
    r.dataset.device = d.id;
    r.dataset.state = state;
    const name = cell(r, d.name || d.id);
    if (d.name) {
      const id = document.createElement("div");
      id.className = "muted";
      id.textContent = d.id;
      name.append(id);
    }
    cell(r, deviceKind(d));
    cell(r, words, state === "revoked" ? "late" : "");
    if (!admin) continue;
    const td = cell(r, "", "actions");
    td.append(actionButton("Код привязки", "code", () => pairingCode(d)));
    // Revoking means something only while there is a credential or a code.
    if ((d.paired_at && !d.revoked_at) || d.pairing_expires_at) {
      const sure = confirmRevoke === d.id;
      const b = actionButton(sure ? "Точно отозвать?" : "Отозвать", "revoke", () => revokeDevice(d, sure));
      if (sure) b.className = "danger";
      td.append(b);
    }
  }
  $("devices-empty").hidden = devices.length > 0;
  renderAlerts();
}

// devicesEvery is how often the device list is read again for the
// terminals' connections (milliseconds).
const devicesEvery = 10000;

// overNormShown bounds the tickets over their norm named one by one; the
// rest are counted in one line.
const overNormShown = 5;

// renderAlerts raises a banner for the server running on its UPS's battery
// or unable to read its UPS, for every piece of hardware that needs a
// person (a kiosk's printer, a window board a display cannot reach, a
// window's call-button pad its operator's panel cannot reach), with the
// time it said so, for every terminal whose live stream has been down
// longer than the server's grace, and for every ticket waiting longer than
// its norm. A device's state is known only since it last reported: after a
// server restart until it reports again; a connection only once the
// terminal connected after the server started.
function renderAlerts() {
  const list = $("alerts");
  list.replaceChildren();
  const item = (text, note) => {
    const li = document.createElement("li");
    li.textContent = text;
    if (note) {
      const at = document.createElement("span");
      at.className = "muted";
      at.textContent = note;
      li.append(at);
    }
    list.append(li);
    return li;
  };
  // The server's power first: on battery the whole office may stop soon.
  const power = snapshot && snapshot.power;
  if (power && power.status !== "online") {
    const li = item(powerWords(power), "с " + hhmm(power.at) + (power.ups ? ", ИБП " + power.ups : ""));
    li.dataset.power = power.status;
  }
  const late = snapshot ? overNorm(snapshot.queue, Date.now()) : [];
  for (const o of late.slice(0, overNormShown)) {
    const li = item("Талон " + o.t.number + " («" + serviceName(o.t.service_id) + "») ждёт " + waitWords(o.waited) +
      " — дольше нормы в " + waitWords(o.norm), "в очереди с " + hhmm(o.t.queued_at));
    li.dataset.overNorm = o.t.number;
  }
  if (late.length > overNormShown) {
    item("И ещё " + (late.length - overNormShown) + " талонов ждут дольше нормы.").dataset.overNorm = "more";
  }
  const alert = (d, text, note) => {
    const li = document.createElement("li");
    li.dataset.device = d.id;
    li.textContent = text;
    const at = document.createElement("span");
    at.className = "muted";
    at.textContent = note;
    li.append(at);
    list.append(li);
    return li;
  };
  for (const d of devices) {
    const st = d.state;
    if (!st) continue;
    const name = d.name || kindRu[d.kind] + " " + d.id;
    if (st.printer && st.printer !== "ok") {
      const li = alert(d, name + ": " + (printerRu[st.printer] || st.printer), "с " + hhmm(st.at) + (st.detail ? " (" + st.detail + ")" : ""));
      li.dataset.printer = st.printer;
    }
    for (const b of st.boards || []) {
      if (b.ok) continue;
      const w = windows.find((x) => x.id === b.window_id);
      const li = alert(d, "Табло окна " + (w ? w.number : "«" + b.window_id + "»") + " (адрес " + b.address + ") не отвечает — проверьте питание и кабель",
        name + ", с " + hhmm(st.at) + (b.detail ? " (" + b.detail + ")" : ""));
      li.dataset.board = b.address;
    }
  }
  for (const d of devices) {
    const l = d.link;
    if (!l || !l.alert) continue;
    const li = alert(d, (kindRu[d.kind] || d.kind) + " " + d.id + " не на связи с " + hhmm(l.since),
      (d.name ? d.name + ": " : "") + "проверьте, включён ли терминал и его сеть");
    li.dataset.link = "offline";
  }
  // The snapshot's windows carry their pads, reported by the operators'
  // panels while the windows are open.
  for (const ws of snapshot ? snapshot.windows : []) {
    const pd = ws.pad;
    if (!pd || pd.ok) continue;
    const li = item("Пульт окна " + ws.window.number + " не отвечает — проверьте кабель",
      "адрес " + pd.address + ", с " + hhmm(pd.at) + (pd.detail ? " (" + pd.detail + ")" : ""));
    li.dataset.pad = ws.window.id;
  }
  if (backups && backups.enabled && backups.failing) {
    const li = item("Резервная копия базы не сделана: " + backups.last_error,
      backups.last_success_at ? "последняя проверенная копия — " + dayTime(backups.last_success_at) : "проверенных копий ещё нет");
    li.dataset.backup = "failing";
  }
  if (backups && backups.enabled && backups.same_disk) {
    const li = item("Резервные копии пишутся на тот же диск, что и база",
      "если диск откажет, пропадут и они: укажите в --backup-dir папку на другом носителе (" + backups.dir + ")");
    li.dataset.backup = "same-disk";
  }
  const l = regionLink;
  if (l && l.enabled && l.error) {
    item("События офиса не отправляются в регион", l.error).dataset.region = "stopped";
  } else if (l && l.enabled && l.alert) {
    item("Нет связи с регионом с " + dayTime(l.since),
      "офис работает как обычно; " + unsentWords(l.unsent) + " в регион сами, когда связь вернётся. Если связи нет долго, проверьте сеть до узла региона (--region-url)").dataset.region = "down";
  } else if (l && l.enabled && l.linked && !l.joined) {
    item("Регион ещё не читает события офиса",
      "связь есть, но офис не добавлен в регион: на стороне региона выполните queue-server region join --office " + l.office_id).dataset.region = "not-joined";
  }
  list.hidden = list.children.length === 0;
}

// The whole server's state the roles that watch an office see among its
// alerts: the scheduled backups (--backup-dir) and, on an office node, the
// link to the region.
const watchRoles = ["admin", "manager", "hall"];
let backups = null;
let regionLink = null;

async function loadServerState() {
  if (!actor || !watchRoles.includes(actor.role)) return;
  [backups, regionLink] = await Promise.all(["/backup/status", "/region/link"].map((p) => call("GET", p).catch(() => null)));
  renderAlerts();
}

// unsentWords says how many events wait on the office for the region.
function unsentWords(n) {
  if (!n) return "новые события будут ждать на этом сервере и уйдут";
  const m10 = n % 10, m100 = n % 100;
  const few = m100 < 12 || m100 > 14;
  if (m10 === 1 && m100 !== 11) return n + " событие ждёт на этом сервере и уйдёт";
  if (m10 >= 2 && m10 <= 4 && few) return n + " события ждут на этом сервере и уйдут";
  return n + " событий ждут на этом сервере и уйдут";
}

function dayTime(iso) {
  return new Date(iso).toLocaleString("ru-RU", { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: zone });
}

// renderWindowChoice offers the snapshot's windows to a new rating terminal,
// keeping what the administrator already picked.
function renderWindowChoice() {
  const pick = $("device-window");
  const was = pick.value;
  pick.replaceChildren(...windows.map((w) => new Option(windowName(w), w.id)));
  if (windows.some((w) => w.id === was)) pick.value = was;
}

async function loadDevices() {
  const gen = ++devicesGen;
  try {
    const list = await call("GET", "/offices/" + office + "/devices");
    if (gen !== devicesGen) return;
    devices = list;
    renderDevices();
  } catch (e) {
    if (gen !== devicesGen) return;
    if (e.status === 403) $("devices").hidden = true;
    else showDevicesError(e.message);
  }
}

// deviceChanged draws the device the API answered with at once, without
// waiting for the stream; a list already on its way is older, so it is dropped.
function deviceChanged(d) {
  devicesGen++;
  const i = devices.findIndex((x) => x.id === d.id);
  if (i >= 0) devices[i] = d;
  else devices.push(d);
  showDevicesError("");
  renderDevices();
}

async function registerDevice(ev) {
  ev.preventDefault();
  const id = $("device-id").value.trim();
  // A PUT of an existing id would quietly rename or retype a working terminal.
  if (devices.some((d) => d.id === id)) {
    showDevicesError("Устройство «" + id + "» уже есть: выберите другой идентификатор.");
    return;
  }
  const body = { kind: $("device-kind").value, name: $("device-name").value.trim() };
  if (atWindow.includes(body.kind)) body.window_id = $("device-window").value;
  try {
    deviceChanged(await call("PUT", devicePath(id), body));
    $("device-id").value = "";
    $("device-name").value = "";
  } catch (e) {
    showDevicesError(e.message);
  }
}

async function pairingCode(d) {
  try {
    const c = await call("POST", devicePath(d.id) + "/pairing-code");
    $("pairing-device").textContent = d.name || d.id;
    $("pairing-code").textContent = c.code;
    let hint = "Введите этот код на устройстве до " + hhmm(c.expires_at) +
      " (15 минут): устройство получит свой ключ, и код больше не подойдёт. " +
      "Код показан только один раз; если не успеете, выдайте новый.";
    if (d.paired_at && !d.revoked_at) hint += " Пока код не введён, устройство работает со старым ключом.";
    $("pairing-hint").textContent = hint;
    $("pairing").hidden = false;
    deviceChanged({ ...d, pairing_expires_at: c.expires_at });
  } catch (e) {
    showDevicesError(e.message);
  }
}

function hidePairing() {
  $("pairing").hidden = true;
  $("pairing-code").textContent = ""; // the code is not left in the page
}

async function revokeDevice(d, sure) {
  clearTimeout(confirmTimer);
  if (!sure) {
    // The first click only arms the button: a revoked terminal stops at once.
    confirmRevoke = d.id;
    confirmTimer = setTimeout(() => { confirmRevoke = ""; renderDevices(); }, 5000);
    renderDevices();
    return;
  }
  confirmRevoke = "";
  try {
    deviceChanged(await call("POST", devicePath(d.id) + "/revoke"));
  } catch (e) {
    showDevicesError(e.message);
    renderDevices();
  }
}

function resetDevices() {
  devices = [];
  devicesGen++;
  confirmRevoke = "";
  clearTimeout(confirmTimer);
  hidePairing();
  showDevicesError("");
  renderDevices();
  $("devices").hidden = !canListDevices();
  $("device-form").hidden = !isAdmin();
}

async function refresh() {
  refreshTimer = null;
  const withDevices = devicesStale;
  devicesStale = false;
  try {
    const [snap, load] = await Promise.all([
      call("GET", "/offices/" + office + "/snapshot"),
      call("GET", "/offices/" + office + "/load"),
    ]);
    renderSnapshot(snap);
    renderLoad(load);
    showError("");
  } catch (e) {
    showError(e.message);
  }
  // After the snapshot, which names the windows; and only if whoever is
  // logged in by now may list devices.
  if (withDevices && canListDevices()) await loadDevices();
  if (withDevices) await loadServerState();
}

function scheduleRefresh(withDevices) {
  if (withDevices) devicesStale = true;
  if (!refreshTimer) refreshTimer = setTimeout(refresh, 200);
}

function setConn(state, text) {
  const el = $("conn");
  el.hidden = false;
  el.className = "conn " + state;
  el.textContent = text;
  el.dataset.state = state;
}

function connect() {
  clearTimeout(reconnectTimer);
  if (!token || !office) return;
  const proto = location.protocol === "https:" ? "wss://" : "ws://";
  let url = proto + location.host + api + "/offices/" + office + "/stream?token=" + encodeURIComponent(token);
  if (lastSeq !== null) url += "&since=" + lastSeq;
  // While reconnecting the page still says since when it has no news.
  if (lostSince) setConn("offline", lostWords());
  else setConn("connecting", "Подключение…");
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    backoff = 500;
    lostSince = null;
    lostWhy = "";
    setConn("online", "В сети");
  };
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (e) { return; }
    if (msg.type === "bye") lostWhy = msg.reason || "";
    if (msg.type === "snapshot" || msg.type === "event") {
      if (msg.type === "event" && lastSeq !== null && msg.seq !== lastSeq + 1) {
        ws.close(); // a gap: reconnect with since and get what was missed
        return;
      }
      lastSeq = msg.seq;
      // Only a device's config or state event (or a fresh snapshot) changes
      // the device list; the stream names the kind, "device", and keeps which
      // one to staff.
      const ev = msg.event;
      scheduleRefresh(msg.type === "snapshot" || (ev && (ev.type === "device.state" ||
        (ev.type === "config.changed" && (ev.config || "").split("/")[0] === "device"))));
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    if (!token) return;
    if (!lostSince) lostSince = new Date();
    setConn("offline", lostWords());
    reconnectTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

// lostWords says since when the stream is down, and why if the server said.
function lostWords() {
  return "Нет связи с " + clock(lostSince) + (lostWhy ? " (" + lostWhy + ")" : "") + ", переподключение…";
}

async function openOffice(id) {
  office = id;
  lastSeq = null;
  lostSince = null;
  lostWhy = "";
  snapshot = null;
  if (socket) { const s = socket; socket = null; s.close(); }
  operators = {};
  resetDevices();
  resetAnnouncements();
  resetSections();
  devicesStale = true;
  try {
    for (const op of await call("GET", "/offices/" + office + "/operators")) operators[op.id] = op;
  } catch (e) {
    // Only staff roles see operator names; the board works without them.
  }
  await refresh();
  connect();
}

async function start() {
  $("login").hidden = true;
  $("board").hidden = false;
  $("logout").hidden = false;
  $("stats-link").hidden = !actor || !statsRoles.includes(actor.role);
  $("who").textContent = actor ? actor.login : "";
  try {
    let id = actor && actor.office_id;
    if (!id) {
      const offices = await call("GET", "/offices");
      if (offices.length === 0) throw new Error("Офисов пока нет: создайте офис через API.");
      const pick = $("office");
      pick.replaceChildren();
      for (const o of offices) pick.append(new Option(o.name, o.id));
      $("office-pick").hidden = offices.length < 2;
      id = offices[0].id;
    }
    await openOffice(id);
  } catch (e) {
    showError(e.message);
  }
}

// resetSections empties every section and shows those of the actor's role.
function resetSections() {
  for (const sec of sections) {
    sec.reset();
    $(sec.id).hidden = !mySections().includes(sec);
  }
}

function logout() {
  token = "";
  actor = null;
  backups = null;
  sessionStorage.removeItem("talon.token");
  sessionStorage.removeItem("talon.actor");
  if (socket) { const s = socket; socket = null; s.close(); }
  clearTimeout(refreshTimer);
  refreshTimer = null;
  clearTimeout(reconnectTimer);
  lostSince = null;
  lostWhy = "";
  snapshot = null;
  resetDevices();
  resetAnnouncements();
  resetSections();
  $("board").hidden = true;
  $("login").hidden = false;
  $("logout").hidden = true;
  $("stats-link").hidden = true;
  $("conn").hidden = true;
  $("who").textContent = "";
}

document.addEventListener("DOMContentLoaded", () => {
  zone = document.body.dataset.zone || undefined;
  const tick = () => { $("clock").textContent = clock(new Date()); };
  tick();
  setInterval(tick, 1000);
  setInterval(renderQueue, 15000); // waits and norms move on between events
  // A terminal's stream dropping is no event: the device list, which says
  // whose is down and for how long, is read again now and then.
  setInterval(() => { if (token && office && canListDevices()) loadDevices(); }, devicesEvery);
  setInterval(() => { if (token && office) loadServerState(); }, devicesEvery);
  for (const sec of sections) if (sec.init) sec.init();
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await call("POST", "/login", { login: $("login-name").value, password: $("login-password").value });
      token = r.token;
      actor = r.actor;
      sessionStorage.setItem("talon.token", token);
      sessionStorage.setItem("talon.actor", JSON.stringify(actor));
      showError("");
      $("login-password").value = "";
      start();
    } catch (e) {
      showError(e.message);
    }
  });
  $("logout").addEventListener("click", logout);
  $("office").addEventListener("change", (ev) => openOffice(ev.target.value));
  $("device-form").addEventListener("submit", registerDevice);
  $("device-kind").addEventListener("change", (ev) => { $("device-window-pick").hidden = !atWindow.includes(ev.target.value); });
  $("pairing-done").addEventListener("click", hidePairing);
  const days = $("announcement-weekdays");
  weekdayRu.forEach((name, i) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = String(i + 1);
    const label = document.createElement("label");
    label.append(box, " " + name);
    days.append(label);
  });
  $("announcement-new").addEventListener("click", () => editAnnouncement(null));
  $("announcement-cancel").addEventListener("click", closeAnnouncementForm);
  $("announcement-form").addEventListener("submit", submitAnnouncement);
  if (token) start();
});

// Talon office page: live load, queue, windows and calls of one office.
// State comes from the REST API; the WebSocket stream says when it changed
// (the page then reloads the state, so it never has to merge events itself).
"use strict";

const $ = (id) => document.getElementById(id);
const api = "/api/v1";
let token = sessionStorage.getItem("talon.token") || "";
let actor = JSON.parse(sessionStorage.getItem("talon.actor") || "null");
let office = "";
let zone; // the office's time zone: times are shown as the office lives them
let services = {};
let operators = {};
let socket = null;
let lastSeq = null;
let backoff = 500;
let refreshTimer = null;
let reconnectTimer = null;

const statusRu = { waiting: "ожидает", postponed: "отложен", called: "вызван", serving: "обслуживается" };
const windowRu = { open: "работает", paused: "перерыв", closed: "закрыто" };

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
    throw new Error((data && data.error && data.error.message) || "Сервер ответил ошибкой " + resp.status + ".");
  }
  return data;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function minutes(sec) {
  const m = Math.floor(sec / 60), s = Math.floor(sec % 60);
  return m + ":" + String(s).padStart(2, "0");
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
  tile(el, minutes(l.avg_wait_seconds), "среднее ожидание");
  tile(el, minutes(l.max_wait_seconds), "дольше всех ждёт", l.max_wait_seconds > 15 * 60);
  tile(el, l.within_norm + " / " + l.over_norm, "в норме / сверх нормы", l.over_norm > 0);
}

function serviceName(id) {
  return (services[id] && services[id].name) || id;
}

function clock(d) {
  return d.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: zone });
}

function renderSnapshot(s) {
  $("title").textContent = s.office.name;
  zone = s.office.time_zone || undefined;
  services = {};
  for (const sv of s.services) services[sv.id] = sv;
  const now = Date.now();

  const q = $("queue").tBodies[0];
  q.replaceChildren();
  for (const t of s.queue) {
    const r = q.insertRow();
    r.dataset.number = t.number;
    cell(r, t.number, "num");
    cell(r, serviceName(t.service_id));
    const waited = (now - Date.parse(t.queued_at)) / 1000;
    const norm = ((services[t.service_id] && services[t.service_id].wait_norm_minutes) || 15) * 60;
    cell(r, minutes(Math.max(0, waited)), waited > norm ? "late" : "");
    cell(r, t.position || "");
    cell(r, statusRu[t.status] || t.status);
  }
  $("queue-empty").hidden = s.queue.length > 0;

  const w = $("windows").tBodies[0];
  w.replaceChildren();
  for (const ws of s.windows) {
    const r = w.insertRow();
    cell(r, ws.window.name || "Окно " + ws.window.number);
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
    const at = new Date(t.called_at).toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", timeZone: zone });
    li.append(num, " → окно " + t.window_number + ", " + at);
    calls.append(li);
  }
  $("updated").textContent = "Обновлено в " + clock(new Date());
}

async function refresh() {
  refreshTimer = null;
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
}

function scheduleRefresh() {
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
  setConn("connecting", "Подключение…");
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    backoff = 500;
    setConn("online", "В сети");
  };
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (e) { return; }
    if (msg.type === "snapshot" || msg.type === "event") {
      if (msg.type === "event" && lastSeq !== null && msg.seq !== lastSeq + 1) {
        ws.close(); // a gap: reconnect with since and get what was missed
        return;
      }
      lastSeq = msg.seq;
      scheduleRefresh();
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    if (!token) return;
    const since = clock(new Date());
    setConn("offline", "Нет связи с " + since + ", переподключение…");
    reconnectTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

async function openOffice(id) {
  office = id;
  lastSeq = null;
  if (socket) { const s = socket; socket = null; s.close(); }
  operators = {};
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

function logout() {
  token = "";
  actor = null;
  sessionStorage.removeItem("talon.token");
  sessionStorage.removeItem("talon.actor");
  if (socket) { const s = socket; socket = null; s.close(); }
  clearTimeout(refreshTimer);
  refreshTimer = null;
  clearTimeout(reconnectTimer);
  $("board").hidden = true;
  $("login").hidden = false;
  $("logout").hidden = true;
  $("conn").hidden = true;
  $("who").textContent = "";
}

document.addEventListener("DOMContentLoaded", () => {
  setInterval(() => { $("clock").textContent = clock(new Date()); }, 1000);
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
  if (token) start();
});

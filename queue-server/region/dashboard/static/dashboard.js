"use strict";
// The regional dashboard. "Сейчас" follows the regional server's socket
// (/region/live): a snapshot of every office, then each office whole as it
// changes; a gap in the messages' seq or a lost connection reconnects and
// takes a fresh snapshot. "За период" asks /region/stats. A server with
// accounts answers 401 until one signs in: the page then shows its login
// and keeps the token for the tab (sessionStorage).

const $ = (id) => document.getElementById(id);
const offices = new Map();
let lastSeq = 0;
let ready = false;
let backoff = 1000;
let reconnectTimer = null;
let socket = null;
let token = sessionStorage.getItem("talon.region.token") || "";

class Unauthorized extends Error {}

// api asks the server with the token; a 401 shows the login.
async function api(path, init) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const resp = await fetch(path, { ...init, headers: { ...headers, ...((init && init.headers) || {}) } });
  if (resp.status === 401) {
    showLogin((await resp.text()).trim());
    throw new Unauthorized("нужен вход");
  }
  if (!resp.ok) throw new Error((await resp.text()).trim() || resp.statusText);
  return resp.json();
}

function showLogin(why) {
  clearTimeout(reconnectTimer);
  if (socket) {
    socket.onclose = null;
    socket.close();
    socket = null;
  }
  token = "";
  sessionStorage.removeItem("talon.region.token");
  sessionStorage.removeItem("talon.region.login");
  $("main").hidden = true;
  $("who").hidden = $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = why || "";
  $("login-error").hidden = !why;
  setConn("offline", "Нужен вход");
}

// start opens the dashboard if the server lets this page in.
async function start() {
  try {
    await api("/region/offices");
  } catch (e) {
    if (!(e instanceof Unauthorized)) {
      setConn("offline", "Нет связи с сервером, переподключаюсь…");
      reconnectTimer = setTimeout(start, backoff);
      backoff = Math.min(backoff * 2, 10000);
    }
    return;
  }
  $("login").hidden = true;
  $("main").hidden = false;
  $("logout").hidden = !token;
  $("who").textContent = sessionStorage.getItem("talon.region.login") || "";
  $("who").hidden = !token;
  connect();
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function duration(sec) {
  sec = Math.max(0, Math.round(sec));
  if (sec < 60) return sec + " с";
  const min = Math.floor(sec / 60);
  if (min < 60) return min + " мин";
  return Math.floor(min / 60) + " ч " + String(min % 60).padStart(2, "0") + " мин";
}

const clocks = new Map();
function clock(at, zone) {
  if (!at) return "";
  let f = clocks.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("ru-RU", { timeZone: zone || undefined, hour: "2-digit", minute: "2-digit", second: "2-digit" });
    clocks.set(zone, f);
  }
  return f.format(new Date(at));
}

function plural(n, one, few, many) {
  const m10 = n % 10, m100 = n % 100;
  if (m10 === 1 && m100 !== 11) return one;
  if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
  return many;
}

// link says whether the office's link answers and how far the region is.
function link(o) {
  const l = o.link;
  if (!l.checked) return ["проверяю…", "muted"];
  if (!l.linked) {
    let s = "нет связи";
    if (l.last_linked_at) s += " с " + clock(l.last_linked_at, o.time_zone);
    if (o.last_event_at) s += "; события до " + clock(o.last_event_at, o.time_zone);
    return [s, "unlinked"];
  }
  if (l.behind > 0) return ["на связи, отстаёт на " + l.behind + " " + plural(l.behind, "событие", "события", "событий"), "behind"];
  return ["на связи", "linked"];
}

function tile(value, label, id) {
  return el("div", { class: "tile", id: id }, el("b", {}, String(value)), el("span", {}, label));
}

function render() {
  $("loading").hidden = ready;
  const now = Date.now();
  const list = [...offices.values()].sort((a, b) => a.id.localeCompare(b.id));
  const sum = (f) => list.reduce((s, o) => s + f(o), 0);
  const open = sum((o) => o.windows_open);
  $("totals").replaceChildren(
    tile(list.length, plural(list.length, "офис", "офиса", "офисов"), "t-offices"),
    tile(sum((o) => (o.link.linked ? 1 : 0)), "на связи", "t-linked"),
    tile(sum((o) => o.waiting), "ждут", "t-waiting"),
    tile(sum((o) => o.called + o.serving), "у окон", "t-serving"),
    tile(open, plural(open, "окно открыто", "окна открыты", "окон открыто"), "t-windows"),
    tile(sum((o) => o.issued), "выдано сегодня", "t-issued"),
    tile(sum((o) => o.served), "обслужено", "t-served"));
  const rows = list.map((o) => {
    const [linkText, linkClass] = link(o);
    const oldest = o.oldest_waiting_since ? duration((now - Date.parse(o.oldest_waiting_since)) / 1000) : "—";
    const waits = o.waited > 0 ? duration(o.wait_mean_seconds) + " / " + duration(o.wait_max_seconds) : "—";
    const c = o.calls && o.calls[0];
    const call = c ? c.number + " → окно " + c.window + ", " + clock(c.at, o.time_zone) : "—";
    const windows = o.windows_open + (o.windows_paused ? " (+" + o.windows_paused + " на перерыве)" : "");
    const cell = (f, v, cls) => el("td", cls ? { "data-f": f, class: cls } : { "data-f": f }, String(v));
    return el("tr", { "data-office": o.id },
      el("td", { "data-f": "id", title: o.id }, o.name || o.id),
      cell("link", linkText, "link " + linkClass),
      cell("waiting", o.waiting),
      cell("oldest", oldest),
      cell("serving", o.called + o.serving),
      cell("windows", windows),
      cell("issued", o.issued),
      cell("served", o.served),
      cell("no-show", o.no_show),
      cell("waits", waits),
      cell("call", call));
  });
  document.querySelector("#offices tbody").replaceChildren(...rows);
  const calls = list.flatMap((o) => (o.calls || []).map((c) => ({ ...c, office: o.name || o.id, zone: o.time_zone })))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, 20);
  $("calls").replaceChildren(...calls.map((c) => el("li", { "data-ticket": c.ticket_id },
    el("span", { class: "num" }, c.number || "—"), " → окно " + c.window + (c.recall ? " (повторно)" : "") + " · " + c.office + " · " + clock(c.at, c.zone))));
}

function setConn(state, text) {
  const c = $("conn");
  c.dataset.state = state;
  c.textContent = text;
}

function connect() {
  clearTimeout(reconnectTimer);
  setConn("connecting", "Подключение…");
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/region/live" +
    (token ? "?token=" + encodeURIComponent(token) : ""));
  socket = ws;
  ws.onopen = () => { backoff = 1000; };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "snapshot") {
      offices.clear();
      for (const o of m.offices || []) offices.set(o.id, o);
      ready = !!m.ready;
      setConn("online", "В сети");
    } else if (m.seq !== lastSeq + 1) {
      ws.close(); // a message missed: a new connection starts with a snapshot
      return;
    } else if (m.type === "office") {
      offices.set(m.office.id, m.office);
    }
    lastSeq = m.seq;
    render();
  };
  ws.onclose = (ev) => {
    socket = null;
    setConn("offline", "Нет связи с сервером" + (ev.reason ? " (" + ev.reason + ")" : "") + ", переподключаюсь…");
    // start asks first: a token no longer valid shows the login.
    reconnectTimer = setTimeout(start, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

function showTab(live) {
  $("tab-live").setAttribute("aria-selected", String(live));
  $("tab-period").setAttribute("aria-selected", String(!live));
  $("live").hidden = !live;
  $("period").hidden = live;
}

const keyNames = { office: "Офис", service: "Услуга", day: "День" };

async function report(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams({ from: $("from").value, to: $("to").value, by: $("by").value });
  $("error").hidden = true;
  let rep;
  try {
    rep = await api("/region/stats?" + q);
  } catch (e) {
    if (e instanceof Unauthorized) return;
    $("error").textContent = "Отчёт не получен: " + e.message;
    $("error").hidden = false;
    return;
  }
  $("report-key").textContent = keyNames[$("by").value];
  const row = (key, m, cls) => {
    const within = m.waited > 0 ? Math.round((100 * m.within_norm) / m.waited) + " %" : "—";
    const d = (v) => (m.waited > 0 ? duration(v) : "—");
    const cells = [key, m.issued, m.served, m.no_show, m.cancelled, m.waited, d(m.wait_mean_seconds), d(m.wait_median_seconds),
      d(m.wait_p90_seconds), d(m.wait_max_seconds), within, m.service_count > 0 ? duration(m.service_mean_seconds) : "—"];
    return el("tr", cls ? { class: cls, "data-key": key } : { "data-key": key }, ...cells.map((v) => el("td", {}, String(v))));
  };
  const rows = (rep.rows || []).map((r) => row(r.label || r.key, r.metrics));
  $("report-empty").hidden = rows.length > 0;
  if (rows.length > 0) rows.push(row("Итого", rep.total, "total"));
  document.querySelector("#report tbody").replaceChildren(...rows);
}

function today() {
  const d = new Date();
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
}

$("tab-live").onclick = () => showTab(true);
$("tab-period").onclick = () => { showTab(false); report(); };
$("filters").onsubmit = report;
$("from").value = $("to").value = today();
$("login").onsubmit = async (ev) => {
  ev.preventDefault();
  let r;
  try {
    r = await api("/region/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login: $("login-name").value, password: $("login-password").value }),
    });
  } catch (e) {
    if (!(e instanceof Unauthorized)) showLogin("Вход не удался: " + e.message);
    return;
  }
  token = r.token;
  sessionStorage.setItem("talon.region.token", token);
  sessionStorage.setItem("talon.region.login", r.login);
  $("login-password").value = "";
  start();
};
$("logout").onclick = () => showLogin("");
setInterval(render, 1000); // the waits and links' times go on between messages
start();

// Talon statistics page for the office manager: live tiles, the period's
// figures, charts and tables by service, operator, window, purpose, hour,
// weekday and day, each table downloadable as CSV or XLSX. Every figure
// comes from GET /api/v1/stats (the server's rollups) and /load; the page
// computes nothing but units.
"use strict";

const $ = (id) => document.getElementById(id);
const api = "/api/v1";
const token = sessionStorage.getItem("talon.token") || "";
const actor = JSON.parse(sessionStorage.getItem("talon.actor") || "null");
let offices = [];
const charts = {};

// The tables, in the order a manager reads them, with the figures each shows.
const tables = [
  { by: "service", title: "По услугам", cols: ["issued", "served", "no_show", "cancelled", "redirected", "wait_mean", "wait_median", "wait_p90", "wait_max", "over_norm", "service_mean", "estimate_mae", "rating"] },
  { by: "operator", title: "По операторам", cols: ["served", "no_show", "redirected", "service_mean", "service_p90", "open", "serving", "paused", "idle", "per_hour", "rating"] },
  { by: "window", title: "По окнам", cols: ["served", "no_show", "service_mean", "open", "serving", "paused", "idle", "per_hour"] },
  { by: "purpose", title: "По целям визита", cols: ["issued", "served", "wait_mean", "wait_p90", "over_norm", "service_mean"] },
  { by: "hour", title: "По часам прихода", cols: ["issued", "served", "wait_mean", "wait_median", "wait_p90", "over_norm", "estimate_mae", "estimate_within5"] },
  { by: "weekday", title: "По дням недели", cols: ["issued", "served", "wait_mean", "wait_p90", "over_norm", "service_mean"] },
  { by: "day", title: "По дням", cols: ["issued", "served", "no_show", "cancelled", "wait_mean", "wait_p90", "over_norm", "service_mean", "rating"] },
  { by: "service_hour", title: "Точность прогноза ожидания по услугам и часам", cols: ["waited", "wait_mean", "estimate_mae", "estimate_within5"] },
];

// dimRu heads a table's first column (export.Stats names it the same).
const dimRu = { service: "Услуга", operator: "Оператор", window: "Окно", purpose: "Цель визита", hour: "Час прихода", weekday: "День недели", day: "День", service_hour: "Услуга, час прихода" };

// columns: the header and the cell of each figure, in the manager's units.
const columns = {
  issued: ["Выдано", (m) => m.issued],
  served: ["Обслужено", (m) => m.served],
  no_show: ["Не явились", (m) => m.no_show],
  cancelled: ["Отменены", (m) => m.cancelled],
  redirected: ["Перенаправлены", (m) => m.redirected],
  waited: ["Дождались вызова", (m) => m.waited],
  wait_mean: ["Ожидание, среднее", (m) => (m.waited ? minutes(m.wait_mean_seconds) : "—")],
  wait_median: ["медиана", (m) => (m.waited ? minutes(m.wait_median_seconds) : "—")],
  wait_p90: ["90 % ждали не дольше", (m) => (m.waited ? minutes(m.wait_p90_seconds) : "—")],
  wait_max: ["дольше всех", (m) => (m.waited ? minutes(m.wait_max_seconds) : "—")],
  over_norm: ["Сверх нормы", (m) => (m.waited ? m.over_norm + " (" + percent(m.over_norm_share) + ")" : "—")],
  service_mean: ["Обслуживание, среднее", (m) => (m.service_count ? minutes(m.service_mean_seconds) : "—")],
  service_p90: ["90 % обслужены за", (m) => (m.service_count ? minutes(m.service_p90_seconds) : "—")],
  open: ["Окно открыто", (m) => hours(m.open_seconds)],
  serving: ["Обслуживал", (m) => hours(m.serving_seconds)],
  paused: ["Перерывы", (m) => hours(m.paused_seconds)],
  idle: ["Простой", (m) => hours(m.idle_seconds)],
  per_hour: ["Талонов в час", (m) => (m.open_seconds ? m.tickets_per_operator_hour.toFixed(1).replace(".", ",") : "—")],
  estimate_mae: ["Ошибка прогноза", (m) => (m.estimate_count ? minutes(m.estimate_mae_seconds) : "—")],
  estimate_within5: ["Прогноз точен до 5 мин", (m) => (m.estimate_count ? percent(m.estimate_within5_share) : "—")],
  rating: ["Оценка", (m) => (m.rating_count ? m.rating_mean.toFixed(2).replace(".", ",") + " (" + m.rating_count + ")" : "—")],
};

// minutes writes a duration the way people say it: "12 мин", "1 ч 05 мин";
// "0:48" on a wall reads like hours.
function minutes(sec) {
  const m = Math.round(sec / 60);
  if (m < 60) return m + " мин";
  return Math.floor(m / 60) + " ч " + String(m % 60).padStart(2, "0") + " мин";
}

function hours(sec) {
  if (!sec) return "—";
  return (sec / 3600).toFixed(1).replace(".", ",") + " ч";
}

function percent(share) {
  return (share * 100).toFixed(1).replace(".", ",") + " %";
}

function showError(msg) {
  $("error").textContent = msg || "";
  $("error").hidden = !msg;
}

async function fetchAPI(path) {
  let resp;
  try {
    resp = await fetch(api + path, { headers: { Authorization: "Bearer " + token } });
  } catch (e) {
    throw new Error("Нет связи с сервером очереди.");
  }
  if (resp.status === 401) {
    sessionStorage.removeItem("talon.token");
    location.href = "/";
    throw new Error("Сеанс закончился: войдите снова.");
  }
  if (!resp.ok) {
    const data = await resp.json().catch(() => null);
    throw new Error((data && data.error && data.error.message) || "Сервер ответил ошибкой " + resp.status + ".");
  }
  return resp;
}

async function getJSON(path) {
  return (await fetchAPI(path)).json();
}

function query(by, format) {
  const p = new URLSearchParams();
  const o = $("office").value;
  if (o) p.append("office", o);
  p.set("from", $("from").value);
  p.set("to", $("to").value);
  p.set("by", by);
  if (format) p.set("format", format);
  return "/stats?" + p.toString();
}

// day is the YYYY-MM-DD of t in the office's zone.
function day(t, zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(t);
}

function zone() {
  const o = offices.find((x) => x.id === $("office").value) || offices[0];
  return (o && o.time_zone) || undefined;
}

function preset(name) {
  const today = day(new Date(), zone());
  const [y, m, d] = today.split("-").map(Number);
  const iso = (dt) => dt.toISOString().slice(0, 10);
  const utc = (yy, mm, dd) => new Date(Date.UTC(yy, mm - 1, dd));
  let from = today, to = today;
  switch (name) {
    case "yesterday": from = to = iso(utc(y, m, d - 1)); break;
    case "week": from = iso(utc(y, m, d - 6)); break;
    case "month": from = iso(utc(y, m, 1)); break;
    case "last-month": from = iso(utc(y, m - 1, 1)); to = iso(utc(y, m, 0)); break;
    case "year": from = iso(utc(y, 1, 1)); break;
  }
  $("from").value = from;
  $("to").value = to;
}

function tile(k, v, over) {
  const el = document.createElement("div");
  el.className = "tile" + (over ? " over" : "");
  const vv = document.createElement("div");
  vv.className = "v";
  vv.textContent = v;
  const kk = document.createElement("div");
  kk.className = "k";
  kk.textContent = k;
  el.append(vv, kk);
  return el;
}

async function showLive() {
  const o = $("office").value;
  $("live").replaceChildren();
  $("live-at").textContent = "";
  if (!o) {
    $("live").append(tile("выберите офис, чтобы увидеть его загрузку сейчас", "—"));
    return;
  }
  const l = await getJSON("/offices/" + encodeURIComponent(o) + "/load");
  $("live-at").textContent = new Date(l.at).toLocaleTimeString("ru-RU", { timeZone: zone(), hour: "2-digit", minute: "2-digit" });
  $("live").append(
    tile("ожидают", l.tickets_waiting),
    tile("обслуживаются", l.tickets_in_service),
    tile("окна работают / обслуживают / перерыв", l.windows_active + " / " + l.windows_serving + " / " + l.windows_stopped),
    tile("среднее ожидание ждущих", l.tickets_waiting ? minutes(l.avg_wait_seconds) : "—"),
    tile("дольше всех ждёт", l.tickets_waiting ? minutes(l.max_wait_seconds) : "—"),
    tile("сегодня в пределах нормы / сверх", l.within_norm + " / " + l.over_norm, l.over_norm > 0),
  );
}

function showTotals(r) {
  const m = r.total;
  $("period").textContent = r.query.from === r.query.to ? r.query.from : r.query.from + " — " + r.query.to;
  $("totals").replaceChildren(
    tile("выдано талонов", m.issued),
    tile("обслужено", m.served),
    tile("не явились / отменены", m.no_show + " / " + m.cancelled),
    tile("ожидание: среднее", m.waited ? minutes(m.wait_mean_seconds) : "—"),
    tile("90 % ждали не дольше", m.waited ? minutes(m.wait_p90_seconds) : "—"),
    tile("ждали сверх нормы", m.waited ? percent(m.over_norm_share) : "—", m.over_norm > 0),
    tile("обслуживание: среднее", m.service_count ? minutes(m.service_mean_seconds) : "—"),
    tile("талонов за час работы окна", m.open_seconds ? m.tickets_per_operator_hour.toFixed(1).replace(".", ",") : "—"),
    tile("ошибка прогноза ожидания", m.estimate_count ? minutes(m.estimate_mae_seconds) : "—"),
    tile("средняя оценка", m.rating_count ? m.rating_mean.toFixed(2).replace(".", ",") : "—"),
  );
}

function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  if (typeof Chart === "undefined") return;
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom" } } }, config.options || {});
  charts[id] = new Chart($(id), config);
}

const toMin = (s) => Math.round((s / 60) * 10) / 10;

function showCharts(reports) {
  const hours = reports.hour.rows;
  chart("chart-hours", {
    type: "bar",
    data: {
      labels: hours.map((r) => r.key + ":00"),
      datasets: [
        { label: "среднее ожидание, мин", data: hours.map((r) => toMin(r.metrics.wait_mean_seconds)), backgroundColor: "#1f3b73" },
        { label: "90 % ждали не дольше, мин", data: hours.map((r) => toMin(r.metrics.wait_p90_seconds)), backgroundColor: "#e8a33d" },
      ],
    },
  });
  const services = reports.service.rows.slice().sort((a, b) => b.metrics.issued - a.metrics.issued);
  chart("chart-services", {
    type: "bar",
    data: {
      labels: services.map((r) => r.label),
      datasets: [
        { label: "выдано", data: services.map((r) => r.metrics.issued), backgroundColor: "#1f3b73" },
        { label: "обслужено", data: services.map((r) => r.metrics.served), backgroundColor: "#1b7f3b" },
      ],
    },
    options: { indexAxis: "y" },
  });
  const days = reports.day.rows;
  chart("chart-days", {
    type: "line",
    data: {
      labels: days.map((r) => r.label),
      datasets: [{ label: "ждали сверх нормы, %", data: days.map((r) => Math.round(r.metrics.over_norm_share * 1000) / 10), borderColor: "#b3261e", backgroundColor: "#b3261e" }],
    },
    options: { scales: { y: { min: 0, suggestedMax: 10 } } },
  });
  chart("chart-accuracy", {
    type: "bar",
    data: {
      labels: hours.map((r) => r.key + ":00"),
      datasets: [
        { label: "средняя ошибка прогноза, мин", data: hours.map((r) => toMin(r.metrics.estimate_mae_seconds)), backgroundColor: "#6b4fbb", yAxisID: "y" },
        { type: "line", label: "точен до 5 мин, %", data: hours.map((r) => Math.round(r.metrics.estimate_within5_share * 1000) / 10), borderColor: "#1b7f3b", backgroundColor: "#1b7f3b", yAxisID: "share" },
      ],
    },
    options: { scales: { y: { min: 0, position: "left" }, share: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } } } },
  });
}

function showTables(reports) {
  const host = $("tables");
  host.replaceChildren();
  for (const t of tables) {
    const r = reports[t.by];
    const card = document.createElement("section");
    card.className = "card";
    card.dataset.by = t.by;
    const head = document.createElement("div");
    head.className = "table-head";
    const h = document.createElement("h2");
    h.textContent = t.title;
    head.append(h);
    for (const f of ["csv", "xlsx"]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "download";
      b.dataset.format = f;
      b.textContent = f === "csv" ? "CSV" : "Excel (XLSX)";
      b.addEventListener("click", () => download(t.by, f).catch((e) => showError(e.message)));
      head.append(b);
    }
    card.append(head);
    if (!r.rows.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "За этот период данных нет.";
      card.append(p);
      host.append(card);
      continue;
    }
    const table = document.createElement("table");
    const tr = document.createElement("tr");
    for (const name of [dimRu[t.by], ...t.cols.map((c) => columns[c][0])]) {
      const th = document.createElement("th");
      th.textContent = name;
      tr.append(th);
    }
    const thead = document.createElement("thead");
    thead.append(tr);
    const tbody = document.createElement("tbody");
    const line = (label, m, total) => {
      const row = document.createElement("tr");
      if (total) row.className = "total";
      for (const v of [label, ...t.cols.map((c) => columns[c][1](m))]) {
        const td = document.createElement("td");
        td.textContent = v;
        row.append(td);
      }
      tbody.append(row);
    };
    for (const x of r.rows) line(x.label || x.key, x.metrics, false);
    line("Итого", r.total, true);
    table.append(thead, tbody);
    const wrap = document.createElement("div");
    wrap.className = "scroll";
    wrap.append(table);
    card.append(wrap);
    host.append(card);
  }
}

// download fetches a table's file with the page's token (a plain link
// cannot carry it) and hands it to the browser under the server's name.
async function download(by, format) {
  const resp = await fetchAPI(query(by, format));
  const blob = await resp.blob();
  const name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "");
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name ? name[1] : "talon-stats." + format;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function show() {
  showError("");
  document.body.dataset.state = "loading";
  try {
    const dims = ["service", "operator", "window", "purpose", "hour", "weekday", "day", "service_hour"];
    const [, ...got] = await Promise.all([showLive(), ...dims.map((by) => getJSON(query(by)))]);
    const reports = {};
    dims.forEach((by, i) => (reports[by] = got[i]));
    showTotals(reports.service);
    showCharts(reports);
    showTables(reports);
    document.body.dataset.state = "ready";
  } catch (e) {
    showError(e.message);
    document.body.dataset.state = "error";
  }
}

async function start() {
  if (!token) {
    location.href = "/";
    return;
  }
  if (actor) $("who").textContent = actor.login;
  if (actor && actor.role !== "manager" && actor.role !== "admin") {
    showError("Статистика доступна руководителю офиса и администратору.");
    return;
  }
  try {
    offices = await getJSON("/offices");
  } catch (e) {
    showError(e.message);
    return;
  }
  const sel = $("office");
  if (offices.length > 1) {
    const all = document.createElement("option");
    all.value = "";
    all.textContent = "Все офисы";
    sel.append(all);
  }
  for (const o of offices) {
    const opt = document.createElement("option");
    opt.value = o.id;
    opt.textContent = o.name;
    sel.append(opt);
  }
  sel.value = (actor && actor.office_id) || (offices[0] && offices[0].id) || "";
  $("office-pick").hidden = offices.length < 2;
  preset("today");
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => {
      preset(b.dataset.preset);
      show();
    });
  }
  $("filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    show();
  });
  sel.addEventListener("change", show);
  await show();
}

start();

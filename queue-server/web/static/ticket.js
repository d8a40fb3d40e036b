// Talon ticket status page: the applicant's phone polls the ticket's small
// status JSON every few seconds and says where the ticket stands. The words
// are the server's (web.ticketView); this file repeats them for live updates.
"use strict";

const $ = (id) => document.getElementById(id);
const every = 4000;
const final = ["done", "no_show", "cancelled"];

function hhmm(d) {
  return d.toLocaleTimeString("ru-RU", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// where names the window by its name when it is not just "Окно N".
function where(s) {
  return s.window && s.window !== "Окно " + s.window_number ? " (" + s.window + ")" : "";
}

// view mirrors ticketView in queue-server/web/web.go.
function view(s) {
  switch (s.status) {
    case "called":
      return ["Вас вызывают к окну " + s.window_number, "Подойдите, пожалуйста" + where(s) + "."];
    case "serving":
      return ["Вас обслуживают в окне " + s.window_number, where(s).replace(/^ \((.*)\)$/, "$1")];
    case "waiting":
      if (s.position <= 1) return ["Вы следующий", "Ожидайте вызова на табло."];
      return ["Место в очереди: " + s.position, "Ожидание ≈ " + Math.max(1, Math.ceil(s.estimated_wait_seconds / 60)) + " мин"];
    case "postponed":
      return ["Талон отложен", "Вас вызовут снова, следите за табло."];
    case "done":
      return ["Обслужен", "Спасибо за визит!"];
    case "no_show":
      return ["Не явился", "Талон закрыт: вы не подошли на вызов. Обратитесь к администратору зала."];
    case "cancelled":
      return ["Отменён", "Талон больше не действует."];
  }
  return [s.status, ""];
}

function render(s) {
  const [headline, detail] = view(s);
  $("ticket").dataset.status = s.status;
  $("number").textContent = s.number;
  $("service").textContent = s.service;
  $("headline").textContent = headline;
  $("detail").textContent = detail;
  document.title = "Талон " + s.number + " — " + headline;
}

function conn(state, text) {
  const el = $("conn");
  el.dataset.state = state;
  el.textContent = text;
}

async function poll() {
  let next = every;
  try {
    const resp = await fetch(location.pathname.replace(/\/$/, "") + "/status", { cache: "no-store" });
    if (resp.status === 404) {
      conn("offline", "Талон больше не найден: ссылка устарела.");
      return;
    }
    if (!resp.ok) throw new Error(String(resp.status));
    const s = await resp.json();
    render(s);
    conn("online", "Обновлено в " + hhmm(new Date()));
    if (final.includes(s.status)) return; // nothing more will happen to it
  } catch (e) {
    conn("offline", "Нет связи с сервером, повторяем…");
    next = every * 2;
  }
  setTimeout(poll, next);
}

if (!final.includes($("ticket").dataset.status)) setTimeout(poll, every);

// The hall administrator's section of the office page (docs/access.md: the
// hall administrator and the administrators): a priority ticket after a
// document check, and per queue row cancelling a ticket or moving it to
// another service or window. It leans on app.js (call, section, the
// snapshot's services and windows) and is loaded after it.
"use strict";

const hall = {
  id: "hall",
  roles: ["hall", "admin"],
  categories: [], // the office's priority categories
  categoriesOf: "", // the office they were loaded for
  confirmCancel: "", // the ticket whose «Отменить» was clicked once
  cancelTimer: null,
  moving: null, // the ticket in the move form, null when closed
  busy: false, // a request of this section is on its way: no second click

  init() {
    $("priority-form").addEventListener("submit", (ev) => { ev.preventDefault(); hall.issue(); });
    $("issued-done").addEventListener("click", () => { $("issued").hidden = true; });
    $("move-form").addEventListener("submit", (ev) => { ev.preventDefault(); hall.move(); });
    $("move-cancel").addEventListener("click", () => hall.closeMove());
  },

  reset() {
    hall.categories = [];
    hall.categoriesOf = "";
    hall.confirmCancel = "";
    clearTimeout(hall.cancelTimer);
    hall.closeMove();
    $("issued").hidden = true;
    $("issued-number").textContent = "";
    $("priority-document").value = "";
    $("priority-category").replaceChildren();
    $("priority-service").replaceChildren();
    hall.error("");
    hall.queueError("");
  },

  render() {
    fillSelect($("priority-service"), [choose()].concat(leafServices().map((s) => new Option(s.name, s.id))));
    if (hall.categoriesOf !== office) hall.loadCategories();
    if (hall.moving) hall.fillMove();
  },

  async loadCategories() {
    const of = (hall.categoriesOf = office);
    try {
      const list = await call("GET", "/offices/" + of + "/priority-categories");
      if (of !== office) return;
      hall.categories = list.sort((a, b) => b.level - a.level || (a.name < b.name ? -1 : 1));
      fillSelect($("priority-category"), [choose()].concat(hall.categories.map((c) => new Option(c.name, c.id))));
      if (hall.categories.length === 0) hall.error("Льготных категорий нет: администратор заводит их в настройках офиса.");
    } catch (e) {
      hall.categoriesOf = ""; // try again with the next snapshot
      hall.error(e.message);
    }
  },

  error(msg) {
    $("hall-error").textContent = msg || "";
    $("hall-error").hidden = !msg;
  },

  queueError(msg) {
    $("queue-error").textContent = msg || "";
    $("queue-error").hidden = !msg;
  },

  // issue asks for a priority ticket and shows its number large, to be
  // written or read out to the applicant.
  async issue() {
    if (hall.busy) return;
    const doc = $("priority-document").value.trim();
    const req = { service_id: $("priority-service").value, priority_category_id: $("priority-category").value, priority_document: doc };
    hall.busy = true;
    $("priority-submit").disabled = true;
    try {
      const t = await call("POST", "/offices/" + office + "/tickets", req);
      const cat = hall.categories.find((c) => c.id === t.priority_category_id);
      $("issued-number").textContent = t.number;
      $("issued-detail").textContent = serviceName(t.service_id) + " · " + (cat ? cat.name : t.priority_category_id) +
        " · документ: " + t.priority_document + (t.position ? " · место в очереди услуги: " + t.position : "");
      $("issued").hidden = false;
      $("priority-document").value = "";
      hall.error("");
    } catch (e) {
      hall.error(e.message);
    } finally {
      hall.busy = false;
      $("priority-submit").disabled = false;
    }
  },

  queueRow(td, t) {
    td.append(actionButton("Перенаправить", "move", () => hall.openMove(t)));
    const sure = hall.confirmCancel === t.id;
    const b = actionButton(sure ? "Точно отменить?" : "Отменить", "cancel", () => hall.cancel(t, sure));
    if (sure) b.className = "danger";
    td.append(b);
  },

  async cancel(t, sure) {
    clearTimeout(hall.cancelTimer);
    if (!sure) {
      // The first click only arms the button: a cancelled ticket is gone for the day.
      hall.confirmCancel = t.id;
      hall.cancelTimer = setTimeout(() => { hall.confirmCancel = ""; renderQueue(); }, 5000);
      renderQueue();
      return;
    }
    hall.confirmCancel = "";
    if (hall.busy) return;
    hall.busy = true;
    try {
      await call("POST", "/offices/" + office + "/tickets/" + encodeURIComponent(t.id) + "/cancel");
      snapshot.queue = snapshot.queue.filter((x) => x.id !== t.id); // gone at once; the stream confirms
      if (hall.moving && hall.moving.id === t.id) hall.closeMove();
      hall.queueError("");
    } catch (e) {
      hall.queueError(e.message);
    } finally {
      hall.busy = false;
      renderQueue();
    }
  },

  openMove(t) {
    hall.moving = t;
    $("move-title").textContent = "Талон " + t.number + " («" + serviceName(t.service_id) + "»): куда перенаправить";
    hall.fillMove(true);
    hall.queueError("");
    $("move-form").hidden = false;
    $("move-service").focus();
  },

  // fillMove offers the services and windows, keeping what was picked,
  // or, when fresh, the ticket's own service and any window.
  fillMove(fresh) {
    const t = hall.moving;
    const svc = $("move-service"), win = $("move-window");
    const was = fresh ? [t.service_id, ""] : [svc.value, win.value];
    fillSelect(svc, leafServices().map((s) => new Option(s.name + (s.id === t.service_id ? " (та же)" : ""), s.id)));
    fillSelect(win, [new Option("любое окно услуги", "")].concat(windows.map((w) => new Option(windowName(w), w.id))));
    svc.value = was[0];
    win.value = was[1];
  },

  closeMove() {
    hall.moving = null;
    $("move-form").hidden = true;
  },

  async move() {
    const t = hall.moving;
    if (!t || hall.busy) return;
    const r = {};
    if ($("move-service").value !== t.service_id) r.service_id = $("move-service").value;
    if ($("move-window").value) r.window_id = $("move-window").value;
    if (!r.service_id && !r.window_id) {
      hall.queueError("Выберите другую услугу или окно: талон и так ждёт в этой очереди.");
      return;
    }
    hall.busy = true;
    $("move-submit").disabled = true;
    try {
      await call("POST", "/offices/" + office + "/tickets/" + encodeURIComponent(t.id) + "/redirect", r);
      hall.closeMove();
      hall.queueError("");
      scheduleRefresh(false);
    } catch (e) {
      hall.queueError(e.message);
    } finally {
      hall.busy = false;
      $("move-submit").disabled = false;
    }
  },
};

// leafServices are the services tickets are issued for, in menu order.
function leafServices() {
  return Object.values(services)
    .filter((s) => !s.is_group && !s.disabled)
    .sort((a, b) => (a.order || 0) - (b.order || 0) || (a.name < b.name ? -1 : 1));
}

// choose is the empty first choice of a required list: nothing is
// preselected, so a ticket is never issued for a category nobody picked.
function choose() {
  return new Option("— выберите —", "");
}

// fillSelect replaces a list's options and keeps the choice if it is still offered.
function fillSelect(sel, options) {
  const was = sel.value;
  sel.replaceChildren(...options);
  if (options.some((o) => o.value === was)) sel.value = was;
}

section(hall);

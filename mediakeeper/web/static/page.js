// The dashboard, kept current from /api/events without reloading. Everything shown is set
// as text (textContent), never as HTML: names come from tags and file names.
"use strict";
(function () {
  const base = document.body.dataset.base || "";
  const said = document.getElementById("said");
  const say = (text) => { said.textContent = text; };
  // Controls that are not seen but change what is (a right-to-left override), shown as the
  // escape of their code point, as the server's pages and the terminal show them
  // (mediakeeper.text.visible).
  const HIDDEN = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;
  const hex = (n, width) => n.toString(16).padStart(width, "0");
  const shown = (text) => String(text).replace(HIDDEN, (c) => {
    const n = c.codePointAt(0);
    return n < 0x100 ? "\\x" + hex(n, 2) : n < 0x10000 ? "\\u" + hex(n, 4) : "\\U" + hex(n, 8);
  });

  async function call(method, path, body) {
    const answer = await fetch(base + path, {
      method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    if (!answer.ok) throw new Error(data.error || ("HTTP " + answer.status));
    return data;
  }

  function field(kind, name) {
    return document.querySelector(`[data-field="${CSS.escape(kind)}:${name}"]`);
  }

  async function refreshQueues() {
    const queues = await call("GET", "/api/queues");
    for (const [kind, q] of Object.entries(queues)) {
      for (const [status, n] of Object.entries(q)) {
        const el = document.querySelector(`[data-count="${CSS.escape(kind)}:${status}"]`);
        if (el) el.textContent = String(n);
      }
      const bar = document.querySelector(`[data-percent="${CSS.escape(kind)}"]`);
      if (bar) bar.value = q.percent;
      if (field(kind, "percent")) field(kind, "percent").textContent = String(q.percent);
      if (field(kind, "speed")) field(kind, "speed").textContent = String(q.speed);
      const left = q.pending + q.in_progress;
      if (field(kind, "left")) {
        field(kind, "left").textContent = q.speed > 0 ? Math.ceil(left / q.speed) + " min" : "–";
      }
    }
  }

  function button(label, action) {
    const b = document.createElement("button");
    b.type = "button"; b.dataset.action = action; b.textContent = label;
    return b;
  }

  async function refreshDecisions() {
    const decisions = await call("GET", "/api/decisions");
    document.getElementById("decisions-total").textContent = String(decisions.total);
    const groups = document.getElementById("groups");
    groups.replaceChildren();
    // Duplicate groups are counted apart from the total, as decide counts them.
    const every = [...decisions.groups, ...(decisions.duplicates || [])];
    if (!every.length) {
      const p = document.createElement("p"); p.textContent = "Nothing to decide.";
      groups.append(p);
    }
    for (const g of every) {
      const article = document.createElement("article");
      article.className = "group";
      const h = document.createElement("h3");
      h.textContent = `${g.severity} ${g.kind} · ${g.code} · ${g.count}`;
      const ul = document.createElement("ul");
      for (const name of g.items) {
        const li = document.createElement("li");
        const span = document.createElement("span"); span.className = "name"; span.textContent = shown(name);
        const acts = document.createElement("span");
        acts.className = "acts";
        Object.assign(acts.dataset, { kind: g.kind, name, code: g.code });
        if (g.kind === "dupes") {  // keep the best (1), keep all, or another copy (3...)
          acts.append(button("Keep the best", "best"), button("Keep all", "dismiss"),
                      button("Choose…", "choose"));
        } else {
          acts.append(button("Leave as it is", "dismiss"), button("Choose…", "choose"),
                      button("Set a value…", "set"));
        }
        li.append(span, " ", acts);
        ul.append(li);
      }
      article.append(h, ul);
      groups.append(article);
    }
  }

  // Every item a queue's batches have in hand, each claimed, moved on and finished by its
  // events; a kind the page does not show yet (a queue new since it was made) brings the
  // server's rendering of the queues.
  function current(kind, data) {
    const el = document.querySelector(`[data-current="${CSS.escape(kind)}"]`);
    if (!el) { later(refreshFromPage); return; }
    const name = shown(data.item);
    const none = el.querySelector(".none");
    let item = [...el.querySelectorAll("[data-item]")].find((s) => s.dataset.item === name);
    if (data.status === "in_progress") {
      if (!item) {
        item = document.createElement("span");
        item.dataset.item = name;
        el.insertBefore(item, none);
      }
      item.textContent = name + (data.stage ? ` (${data.stage})` : "");
    } else if (item) {
      item.remove();
    }
    if (none) none.hidden = el.querySelector("[data-item]") !== null;
  }

  // What no event carries, taken from the server's own rendering of the page: the sessions
  // table, and the queues when one appeared or went. Parsed, never run: the page's policy
  // allows no inline script, and every name in it was escaped by the server.
  async function refreshFromPage() {
    const answer = await fetch(base + "/", { credentials: "same-origin" });
    if (!answer.ok) return;
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    const swap = (id) => {
      const now = document.getElementById(id), got = fresh.getElementById(id);
      if (now && got) now.replaceWith(document.adoptNode(got));
    };
    const kinds = (doc) => [...doc.querySelectorAll("#queues article[data-kind]")]
      .map((q) => q.dataset.kind).join("\n");
    if (kinds(fresh) !== kinds(document)) swap("queues");
    swap("sessions");
  }

  function failure(kind, data) {
    const ul = document.querySelector(`[data-failures="${CSS.escape(kind)}"]`);
    if (!ul) return;
    const li = document.createElement("li");
    const strong = document.createElement("strong"); strong.textContent = shown(data.item);
    li.append(strong, ": " + shown(data.error || "failed"));
    ul.prepend(li);
  }

  const pending = new Map();
  function soon(what, ms = 100) {  // one refresh of each kind for a burst of events
    if (pending.has(what)) return;
    pending.set(what, setTimeout(() => {
      pending.delete(what);
      what().catch((e) => say(e.message));
    }, ms));
  }
  const later = (what) => soon(what, 1000);  // a whole page rendered: at most once a second

  // The batches running on each queue, each with its Stop button; asked again while any
  // runs, since a batch's end is no queue event.
  let anyRunning = document.querySelector("[data-running] li") !== null;
  async function refreshBatches() {
    const running = (await call("GET", "/api/batches")).running;
    if (anyRunning && !running.length) later(refreshFromPage);  // a batch ended: its session
    anyRunning = running.length > 0;
    for (const ul of document.querySelectorAll("[data-running]")) {
      ul.replaceChildren(...running.filter((r) => r.kind === ul.dataset.running).map((r) => {
        const li = document.createElement("li");
        const session = document.createElement("span");
        session.className = "session"; session.textContent = r.session;
        const stop = button("Stop", "stop"); stop.dataset.session = r.session;
        li.append("Batch ", session,
                  ` running: ${r.items_done} done, ${r.items_failed} failed `, stop);
        return li;
      }));
    }
  }

  // Whether a watcher runs and what it said last (what it queued): asked every few seconds,
  // since a watcher that starts or stops changes no queue.
  async function refreshWatcher() {
    const w = await call("GET", "/api/watcher");
    const state = document.getElementById("watcher-state");
    const holder = w.holder || {};
    if (w.running) {
      state.textContent = "Running" + (holder.pid
        ? ` (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : "")
        + (w.polling ? ", scanning instead of inotify" : "");
    } else {
      const code = document.createElement("code"); code.textContent = "mediakeeper watch";
      state.replaceChildren("No watcher runs on this home"
        + (w.stopped ? ` (the last stopped ${w.stopped})` : "") + ": ", code, " starts one");
    }
    document.getElementById("watcher-libraries").replaceChildren(
      ...(w.running ? w.libraries || [] : []).map((lib) => {
        const li = document.createElement("li");
        const why = (w.scanned || {})[lib.library];  // inotify cannot follow it: scanned
        li.textContent = `Watching ${lib.kind}: ${shown(lib.library)}`
          + (why ? ` (scanned, not followed: ${shown(why)})` : "");
        return li;
      }));
    const lines = (w.recent || []).slice(-10).map((said) => {
      const li = document.createElement("li");
      const at = document.createElement("span"); at.className = "muted"; at.textContent = said.at;
      li.append(at, " " + shown(said.line));
      return li;
    });
    if (!lines.length) {
      const none = document.createElement("li"); none.className = "muted";
      none.textContent = "nothing yet"; lines.push(none);
    }
    document.getElementById("watcher-lines").replaceChildren(...lines);
  }

  const LOOK_EVERY = 3000;  // ms between looks at the watcher (and the batches, while any runs)
  setInterval(() => {
    refreshWatcher().catch((e) => say(e.message));
    if (anyRunning) refreshBatches().catch((e) => say(e.message));
  }, LOOK_EVERY);

  function listen() {
    const live = document.getElementById("live");
    const source = new EventSource(base + "/api/events");
    source.onopen = () => { live.textContent = "live"; soon(refreshQueues); };
    source.onerror = () => { live.textContent = "reconnecting…"; };
    for (const type of ["claimed", "progress", "completed", "failed", "skipped"]) {
      source.addEventListener(type, (e) => {
        const data = JSON.parse(e.data);
        current(data.kind, data);
        if (type === "failed") failure(data.kind, data);
        if (type !== "progress") later(refreshFromPage);
        soon(refreshQueues);
        soon(refreshBatches);
        if (type === "completed") refreshDecisions().catch((err) => say(err.message));
      });
    }
    source.addEventListener("decision", () => { refreshDecisions().catch((e) => say(e.message)); });
    source.addEventListener("alert", (e) => {
      const data = JSON.parse(e.data);
      const el = document.getElementById("alert");
      el.hidden = false;
      el.textContent = data.event === "resolved"
        ? `Resolved: ${data.kind} items complete again`
        : `Alert: ${data.consecutive_failures} ${data.kind} items failed in a row`;
    });
  }

  async function act(target) {
    const action = target.dataset.action;
    const acts = target.closest(".acts");
    if (acts) {
      const body = { kind: acts.dataset.kind, name: acts.dataset.name };
      if (action === "dismiss") body.dismiss = acts.dataset.code;
      if (action === "best") body.choose = 1;
      if (action === "choose") {
        const n = window.prompt("Take which choice (its number, as decide lists them)?");
        if (!n) return;
        body.choose = parseInt(n, 10);
      }
      if (action === "set") {
        const pair = window.prompt("TAG=VALUE");
        if (!pair || !pair.includes("=")) return;
        const at = pair.indexOf("=");
        body.set = { [pair.slice(0, at).trim()]: pair.slice(at + 1) };
      }
      const done = await call("POST", "/api/decisions", body);
      if (done.session) document.getElementById("undo-session").value = done.session;
      say(`Decided${done.session ? " (undo session " + done.session + ")" : ""}.`);
      await refreshDecisions();
    } else if (action === "stop") {
      target.disabled = true;
      await call("POST", `/api/batches/${encodeURIComponent(target.dataset.session)}/stop`);
      say("Stopping " + target.dataset.session + "…");
      anyRunning = true;  // looked at until it has ended
    }
  }

  document.addEventListener("click", (e) => {
    const target = e.target.closest("button[data-action]");
    if (target) act(target).catch((err) => say(err.message));
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    e.preventDefault();
    if (form.dataset.action === "start") {
      const size = parseInt(form.elements.batch_size.value, 10);
      call("POST", "/api/batches", { kind: form.dataset.kind, batch_size: size })
        .then((d) => { say("Started " + d.session); return refreshBatches(); })
        .catch((err) => say(err.message));
    } else if (form.dataset.action === "undo") {
      call("POST", "/api/undo", { session: form.elements.session.value })
        .then((d) => { say(`Undone: ${d.restored} values back (session ${d.session}).`); return refreshDecisions(); })
        .catch((err) => say(err.message));
    }
  });

  listen();
})();

// The page, kept current from /api/events without reloading, and its controls. Everything
// shown is set as text (textContent), never as HTML: names come from tags and file names.
// What the server renders (decision groups, failures, sessions, the library's rows) is taken
// from its own rendering of the view, parsed, never run, so it looks the same after an update
// as before (severity colours, numbers rounded alike).
"use strict";
(function () {
  const base = document.body.dataset.base || "";
  const view = document.body.dataset.view || "";
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
  const one = (n) => Number(n).toFixed(1);  // as the server and the reports round

  async function call(method, path, body) {
    const answer = await fetch(base + path, {
      method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    if (!answer.ok) {
      const refused = (data.refused || []).map((r) => `${shown(r.path)}: ${shown(r.why)}`);
      throw new Error((data.error || ("HTTP " + answer.status)) +
                      (refused.length ? " — " + refused.join("; ") : ""));
    }
    return data;
  }

  // ---- what runs now ------------------------------------------------------------------

  function field(kind, name) {
    return document.querySelector(`[data-field="${CSS.escape(kind)}:${name}"]`);
  }

  function minutes(n) {
    if (n < 60) return `${Math.ceil(n)} min`;
    return `${Math.floor(n / 60)} h ${Math.ceil(n % 60)} min`;
  }

  let running = [];  // the batches running, as /api/batches said last
  async function refreshQueues() {
    const queues = await call("GET", "/api/queues");
    for (const [kind, q] of Object.entries(queues)) {
      for (const [status, n] of Object.entries(q)) {
        const el = document.querySelector(`[data-count="${CSS.escape(kind)}:${status}"]`);
        if (el) el.textContent = String(n);
      }
      const bar = document.querySelector(`[data-percent="${CSS.escape(kind)}"]`);
      if (bar) { bar.value = q.percent; bar.textContent = one(q.percent) + "%"; }
      if (field(kind, "percent")) field(kind, "percent").textContent = one(q.percent);
      if (field(kind, "speed")) field(kind, "speed").textContent = one(q.speed);
      const left = q.pending + q.in_progress;
      if (field(kind, "left")) {
        field(kind, "left").textContent = q.speed > 0 && left ? minutes(left / q.speed) : "–";
      }
      showRate(kind);
    }
  }

  // A rate and a time left mean something while a batch runs: hidden once none does.
  function showRate(kind) {
    const rate = document.querySelector(`[data-rate="${CSS.escape(kind)}"]`);
    if (rate) rate.hidden = !running.some((r) => r.kind === kind);
  }

  function button(label, action) {
    const b = document.createElement("button");
    b.type = "button"; b.dataset.action = action; b.textContent = label;
    return b;
  }

  // Every item a queue's batches have in hand, each claimed, moved on and finished by its
  // events; a kind the page does not show yet (a queue new since it was made) brings the
  // server's rendering of the view.
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

  // The parts of the view the server renders, taken from its rendering now. Parsed, never
  // run: the page's policy allows no inline script, and every name in it was escaped.
  const SWAPPED = ["groups", "decisions-total", "failed", "sessions", "last-batch", "changes",
                   "items", "matches"];
  async function refreshFromPage(url) {
    const answer = await fetch(url || (location.pathname + location.search),
                               { credentials: "same-origin" });
    if (!answer.ok) return;
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    const swap = (el, got) => { if (el && got) el.replaceWith(document.adoptNode(got)); };
    const kinds = (doc) => [...doc.querySelectorAll("#activity [data-kind]")]
      .map((q) => q.dataset.kind).join("\n");
    if (kinds(fresh) !== kinds(document)) {
      swap(document.getElementById("activity"), fresh.getElementById("activity"));
      swap(document.getElementById("queues"), fresh.getElementById("queues"));
    }
    for (const id of SWAPPED) swap(document.getElementById(id), fresh.getElementById(id));
    swap(document.querySelector("nav.pages"), fresh.querySelector("nav.pages"));
    markCurrent();
  }

  const pending = new Map();
  function soon(what, ms = 100) {  // one refresh of each kind for a burst of events
    if (pending.has(what)) return;
    pending.set(what, setTimeout(() => {
      pending.delete(what);
      what().catch((e) => say(e.message));
    }, ms));
  }
  const later = (what) => soon(what, 1000);  // a whole view rendered: at most once a second

  // The batches running on each queue, each with its Stop button; asked again while any
  // runs, since a batch's end is no queue event. A batch that ended brings the server's
  // rendering (its end said in the activity, its session's row).
  const stopping = new Set();
  async function refreshBatches() {
    const was = running;
    running = (await call("GET", "/api/batches")).running;
    const ended = was.filter((r) => !running.some((n) => n.session === r.session));
    if (ended.length) {
      await refreshFromPage();
      const end = document.getElementById("last-batch");
      for (const r of ended) {
        if (stopping.delete(r.session)) say(`Stopped ${r.session}. ${end ? end.textContent : ""}`);
      }
    }
    for (const ul of document.querySelectorAll("[data-running]")) {
      ul.replaceChildren(...running.filter((r) => r.kind === ul.dataset.running).map((r) => {
        const li = document.createElement("li");
        const session = document.createElement("span");
        session.className = "session"; session.textContent = r.session;
        const stop = button(stopping.has(r.session) ? "Stopping…" : "Stop", "stop");
        stop.dataset.session = r.session; stop.disabled = stopping.has(r.session);
        li.append("Batch ", session,
                  ` running: ${r.items_done} done, ${r.items_failed} failed `, stop);
        return li;
      }));
      showRate(ul.dataset.running);
    }
  }

  // Whether a watcher runs and what it said last (what it queued): asked every few seconds,
  // since a watcher that starts or stops changes no queue.
  async function refreshWatcher() {
    const state = document.getElementById("watcher-state");
    if (!state) return;
    const w = await call("GET", "/api/watcher");
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
    const lines = (w.recent || []).slice(-10).map((line) => {
      const li = document.createElement("li");
      const at = document.createElement("span"); at.className = "muted"; at.textContent = line.at;
      li.append(at, " " + shown(line.line));
      return li;
    });
    if (!lines.length) {
      const none = document.createElement("li"); none.className = "muted";
      none.textContent = "nothing yet"; lines.push(none);
    }
    document.getElementById("watcher-lines").replaceChildren(...lines);
  }

  const LOOK_EVERY = 3000;  // ms between looks at the watcher and the batches
  setInterval(() => {
    refreshWatcher().catch((e) => say(e.message));
    refreshBatches().catch((e) => say(e.message));
  }, LOOK_EVERY);

  function listen() {
    const live = document.getElementById("live");
    const source = new EventSource(base + "/api/events");
    source.onopen = () => { live.textContent = "live"; soon(refreshQueues); soon(refreshBatches); };
    source.onerror = () => { live.textContent = "reconnecting…"; };
    for (const type of ["claimed", "progress", "completed", "failed", "skipped", "decision"]) {
      source.addEventListener(type, (e) => {
        const data = JSON.parse(e.data);
        if (type !== "decision") current(data.kind, data);
        if (type !== "progress") later(refreshFromPage);
        soon(refreshQueues);
        soon(refreshBatches);
      });
    }
    source.addEventListener("alert", (e) => {
      const data = JSON.parse(e.data);
      const el = document.getElementById("alert");
      el.hidden = false;
      el.textContent = data.event === "resolved"
        ? `Resolved: ${data.kind} items complete again`
        : `Alert: ${data.consecutive_failures} ${data.kind} items failed in a row`;
    });
  }

  // ---- asking: a dialog with a form, never window.prompt --------------------------------

  const dialog = document.getElementById("ask");
  function ask(title, build) {
    document.getElementById("ask-title").textContent = title;
    const body = document.getElementById("ask-body");
    body.replaceChildren(...build());
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        resolve(dialog.returnValue === "ok" ? new FormData(document.getElementById("ask-form")) : null);
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      const first = body.querySelector("input, select");
      if (first) first.focus();
    });
  }

  function labelled(text, input) {
    const label = document.createElement("label");
    label.append(text + " ", input);
    return label;
  }

  function input(name, attrs = {}) {
    const el = document.createElement("input");
    el.name = name;
    Object.assign(el, attrs);
    return el;
  }

  function paragraph(text) {
    const p = document.createElement("p"); p.textContent = text; return p;
  }

  function choicesOf(acts) {
    const group = acts.closest(".group");
    const labels = group ? group.querySelector(".choices") : null;
    return labels ? JSON.parse(labels.dataset.choices || "[]") : [];
  }

  // ---- taking, and undoing what was taken -----------------------------------------------

  let lastSession = "";
  function taken(what, session) {
    const undo = document.getElementById("undo-last");
    lastSession = session || "";
    say(what + (session ? ` (session ${session})` : ""));
    undo.hidden = !session;
  }

  async function decide(acts, action, number) {
    const name = acts.dataset.name;
    const body = { kind: acts.dataset.kind, name };
    if (action === "dismiss") body.dismiss = acts.dataset.code;
    if (action === "best") {
      const ok = await ask("Keep the best copy?", () => [paragraph(
        `The best copy of ${shown(name)} stays; every other copy is moved to the holding ` +
        "folder (never deleted; Undo puts each back at its own path).")]);
      if (!ok) return;
      body.choose = 1;
    }
    if (action === "choose") {
      if (number === undefined) {
        const labels = choicesOf(acts);
        const form = await ask(`${shown(name)}: which answer?`, () => labels.map((label, i) =>
          labelled("", Object.assign(input("choice", { type: "radio", value: String(i + 1),
                                                       required: true, checked: i === 0 }),
                                     { title: label }))).map((l, i) => {
          l.append(`${i + 1}) ${labels[i]}`); return l;
        }));
        if (!form) return;
        number = parseInt(form.get("choice"), 10);
      }
      body.choose = number;
      body.code = acts.dataset.code;
    }
    if (action === "set") {
      const form = await ask(`${shown(name)}: set a value`, () => [
        paragraph(`Written to the files of ${shown(name)} that this question (${acts.dataset.code}) is about.`),
        labelled("Tag", input("tag", { required: true, placeholder: "title", maxLength: 64 })),
        labelled("Value", input("value", { required: true, maxLength: 1000 })),
      ]);
      if (!form) return;
      body.set = { [String(form.get("tag")).trim()]: String(form.get("value")) };
    }
    const done = await call("POST", "/api/decisions", body);
    taken(`Decided ${shown(name)}: ${done.closed} closed.`, done.session);
    await refreshFromPage();
  }

  async function retryOrSkip(acts, action) {
    const done = await call("POST", `/api/queues/${encodeURIComponent(acts.dataset.kind)}/${action}`,
                            { key: acts.dataset.key });
    taken(`${action === "retry" ? "Back to pending" : "Skipped"}: ${done.items.map(shown).join(", ")}.`,
          done.session);
    await refreshFromPage();
  }

  async function undo(session) {
    const d = await call("POST", "/api/undo", { session });
    const parts = [];
    if (d.restored) parts.push(`${d.restored} values back`);
    if (d.put_back) parts.push(`${d.put_back} files back`);
    if (d.reopened) parts.push(`${d.reopened} questions open again`);
    const left = (d.left_alone || []).length;
    if (left) parts.push(`${left} left alone`);
    say(`Undone ${session}: ${parts.join(", ") || "nothing left to put back"}.`);
    document.getElementById("undo-last").hidden = true;
    lastSession = "";
    await refreshFromPage();
  }

  async function act(target) {
    const action = target.dataset.action;
    const acts = target.closest(".acts");
    if (action === "retry" || action === "skip") return retryOrSkip(acts, action);
    if (acts && ["dismiss", "best", "choose", "set"].includes(action)) {
      return decide(acts, action);
    }
    if (action === "undo") return undo(target.dataset.session);
    if (action === "undo-last" && lastSession) return undo(lastSession);
    if (action === "stop") {
      target.disabled = true;
      target.textContent = "Stopping…";
      stopping.add(target.dataset.session);
      await call("POST", `/api/batches/${encodeURIComponent(target.dataset.session)}/stop`);
      say("Stopping " + target.dataset.session + "…");
      await refreshBatches();
    }
  }

  document.addEventListener("click", (e) => {
    const target = e.target.closest("button[data-action]");
    if (target) act(target).catch((err) => say(err.message));
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.dataset.action !== "start") return;
    e.preventDefault();
    const size = parseInt(form.elements.batch_size.value, 10);
    call("POST", "/api/batches", { kind: form.dataset.kind, batch_size: size })
      .then((d) => { say("Started " + d.session); return refreshBatches(); })
      .then(() => refreshFromPage())
      .catch((err) => say(err.message));
  });

  // ---- the library: searched as a person types ----------------------------------------

  const browse = document.getElementById("browse");
  if (browse) {
    let typing = null;
    const search = () => {
      const query = new URLSearchParams(new FormData(browse));
      for (const [k, v] of [...query.entries()]) if (!v) query.delete(k);
      const url = base + "/library?" + query.toString();
      history.replaceState(null, "", url);
      refreshFromPage(url).catch((err) => say(err.message));
    };
    browse.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(search, 150); });
    browse.addEventListener("change", search);
    browse.addEventListener("submit", (e) => { e.preventDefault(); search(); });
  }

  // ---- keys, as decide -i takes them ----------------------------------------------------

  let at = -1;
  const questions = () => [...document.querySelectorAll(".question")];
  function markCurrent() {
    const all = questions();
    all.forEach((q, i) => q.classList.toggle("current", i === at));
    if (at >= all.length) at = all.length - 1;
  }
  function move(by) {
    const all = questions();
    if (!all.length) return;
    at = Math.max(0, Math.min(all.length - 1, at + by));
    markCurrent();
    all[at].focus();
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || dialog.open) return;
    if (e.target.closest("input, select, textarea")) return;
    const question = questions()[at];
    const acts = question ? question.querySelector(".acts") : null;
    const run = (p) => p.catch((err) => say(err.message));
    if (e.key === "j") move(1);
    else if (e.key === "k") move(-1);
    else if (e.key === "u" && lastSession) run(undo(lastSession));
    else if (e.key === "/" && document.getElementById("search")) {
      e.preventDefault(); document.getElementById("search").focus();
    } else if (acts && e.key === "d") run(decide(acts, "dismiss"));
    else if (acts && /^[1-9]$/.test(e.key) && acts.querySelector('[data-action="choose"]')) {
      run(decide(acts, "choose", parseInt(e.key, 10)));
    } else return;
    e.preventDefault();
  });

  listen();
})();

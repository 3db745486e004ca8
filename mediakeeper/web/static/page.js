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
  // And a lone surrogate: a file name's undecodable byte (a folder named in Latin-1), which
  // the server sends as its escape in JSON and spells as that escape on the page.
  const LONE = "[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";
  const HIDDEN = new RegExp("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u180e\\u200b\\u200e\\u200f" +
    "\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]|\\udb40[\\udc00-\\udc7f]|" + LONE, "g");
  const hex = (n, width) => n.toString(16).padStart(width, "0");
  // A key as the server writes it into a control's data- attribute (mediakeeper.web.page.real):
  // as it is, but for a lone surrogate, spelled as its escape.
  const real = (text) => String(text).replace(new RegExp(LONE, "g"),
    (c) => "\\u" + hex(c.charCodeAt(0), 4));
  // And a folder name's stand-in for "/" ("AC\u29f8DC": few fonts draw it) as the "/" it
  // stands for, as the server shows it (mediakeeper.text.render.shown).
  const shown = (text) => String(text).replace(HIDDEN, (c) => {
    const n = c.codePointAt(0);
    return n < 0x100 ? "\\x" + hex(n, 2) : n < 0x10000 ? "\\u" + hex(n, 4) : "\\U" + hex(n, 8);
  }).replace(/\u29f8/g, "/");
  const one = (n) => Number(n).toFixed(1);  // as the server and the reports round
  const number = (n) => Number(n).toLocaleString("en-US");  // 21,893, as the server says it
  const counted = (n, noun, nouns) => `${number(n)} ${n === 1 ? noun : nouns}`;  // 1 value
  // A tag's value in a preview: a cover (a ``data:`` URI) by its type and size, as the server
  // says it (mediakeeper.text.wording.picture), never the whole URI.
  const tagValue = (text) => {
    const cover = /^data:(image\/[^;,]*);base64,(.*)$/s.exec(String(text));
    if (!cover) return shown(text);
    const data = cover[2], pad = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
    return `a picture (${shown(cover[1])}, ${number(Math.floor(data.length * 3 / 4) - pad)} bytes)`;
  };

  // A request the server did not answer (stopped, restarting, the network down) is said in
  // a person's words, not the browser's "Failed to fetch"; a look is no longer said once the
  // event stream is back (its reconnection: ``listen``), an act (a take, an undo) stays said:
  // whether it was done is for the page to show then.
  const UNREACHABLE = "The server does not answer: reconnecting…";
  async function reach(url, options = {}) {
    try {
      return await fetch(url, { credentials: "same-origin", ...options });
    } catch (e) {
      throw new Error(options.method && options.method !== "GET"
        ? "The server did not answer: look again once it is back, it may not have been done."
        : UNREACHABLE);
    }
  }

  async function call(method, path, body) {
    const answer = await reach(base + path, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await answer.json(); } catch (e) { data = {}; }
    if (!answer.ok) {
      const refused = (data.refused || []).map((r) => `${shown(r.path)}: ${shown(r.why)}`);
      // A take refused file by file (409 with "refused", no "error") says so in words.
      const said = data.error || (refused.length ? "Left alone" : "HTTP " + answer.status);
      const err = new Error(said + (refused.length ? " — " + refused.join("; ") : ""));
      err.answer = data;  // a take refused in part still says the session of what it did
      throw err;
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
        if (el) el.textContent = number(n);
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
    // Matched by the item's key: two items may show the same name, and a name the server
    // rendered is spelled as shown, not as the event holds it.
    const name = shown(data.item), key = real(data.key);
    const none = el.querySelector(".none");
    let item = [...el.querySelectorAll("[data-key]")].find((s) => s.dataset.key === key);
    if (data.status === "in_progress") {
      if (!item) {
        item = document.createElement("span");
        item.dataset.key = key;
        el.insertBefore(item, none);
      }
      item.textContent = name + (data.stage ? ` (${data.stage})` : "") +
        (data.workers ? ` on ${data.workers.join(", ")}` : "");
    } else if (item) {
      item.remove();
    }
    if (none) none.hidden = el.querySelector("[data-key]") !== null;
  }

  // The parts of the view the server renders, taken from its rendering now. Parsed, never
  // run: the page's policy allows no inline script, and every name in it was escaped.
  const SWAPPED = ["groups", "decisions-total", "duplicates-total", "failed", "sessions", "last-batch", "changes",
                   "items", "matches", "one-decision", "one-item"];
  // A decision's or an item's own view, once what it showed is gone (the decision taken
  // here or elsewhere, the item skipped: another decision), answers 409 or 404 with the
  // page saying so, which is shown in place of controls that would only be refused.
  const SAID_WHEN_GONE = ["one-decision", "one-item"];
  // ``wanted``: whether its answer is still the one to show once it comes (a search typed
  // further meanwhile has asked for a newer one).
  async function refreshFromPage(url, wanted = () => true) {
    const answer = await reach(url || (location.pathname + location.search));
    if (!answer.ok && !SAID_WHEN_GONE.some((id) => document.getElementById(id))) return;
    const text = await answer.text();
    if (!wanted()) return;
    const fresh = new DOMParser().parseFromString(text, "text/html");
    const focused = document.activeElement;
    const from = placeAmong(focused);
    // A question opened in place (its evidence, choices, a preview with its Take it) stays
    // open through the new rendering, which has it closed: a batch's event closed it under
    // the person reading it, and took the focus from its controls.
    const open = [...document.querySelectorAll(".question > .slot:not([hidden])")]
      .map((slot) => [slot.closest(".question").dataset.id, slot]);
    const swap = (el, got) => { if (el && got) el.replaceWith(document.adoptNode(got)); };
    const kinds = (doc) => [...doc.querySelectorAll("#activity .now[data-kind]")]
      .map((q) => q.dataset.kind).join("\n");
    const counting = (doc) => doc.querySelector("#activity[data-counting]") !== null;
    if (kinds(fresh) !== kinds(document) || counting(fresh) !== counting(document)) {
      swap(document.getElementById("activity"), fresh.getElementById("activity"));
      swap(document.getElementById("queues"), fresh.getElementById("queues"));
    }
    for (const id of SWAPPED) swap(document.getElementById(id), fresh.getElementById(id));
    // Each queue's line of the items a rule plugin was left out of: said by the server alone
    // (its command names the home), so taken from its rendering as the counts change.
    for (const el of document.querySelectorAll("#queues [data-left-out]")) {
      swap(el, fresh.querySelector(`#queues [data-left-out="${CSS.escape(el.dataset.leftOut)}"]`));
    }
    swap(document.querySelector("nav.pages"), fresh.querySelector("nav.pages"));
    for (const [id, slot] of open) {
      const now = document.querySelector(`.question[data-id="${CSS.escape(id)}"] > .slot`);
      if (now && now !== slot) now.replaceWith(slot);
    }
    if (focused?.isConnected && document.activeElement !== focused) focused.focus();
    // A control taken off with the part it was in (a batch's events render the view anew
    // while a person is on it): its stand-in in the new rendering takes the focus, or its
    // question's row, not the page's top. Its question or group answered (here, or
    // elsewhere: a terminal, another page), the question now in its place, as ``goOn`` gives
    // it after an answer here, or none left, the view's heading.
    if (focused && !focused.isConnected && focusFell()) {
      const question = focused.closest(".question");
      (standIn(focused) || (question && document.querySelector(
        `.question[data-id="${CSS.escape(question.dataset.id)}"]`)))?.focus();
      if (from >= 0) {
        goOn(from);
        focusView();
      }
    }
    markCurrent();
    markStopping();
    stillReading();
  }

  // A Stop pressed says so until its batch has stopped, through any rendering of the view:
  // the server's sessions table knows nothing of the press, and brought back a plain Stop.
  const stopping = new Set();  // the sessions whose Stop was pressed
  function markStopping() {
    for (const stop of document.querySelectorAll('[data-action="stop"]')) {
      if (!stopping.has(stop.dataset.session)) continue;
      stop.textContent = "Stopping…";
      stop.setAttribute("aria-disabled", "true");
    }
  }

  // What needs you, while the server still reads the queues (its first read, which says how
  // far it is): its rendering of what it holds so far, asked for again until it is whole.
  function stillReading() {
    if (document.querySelector("#groups[data-pending]")) later(refreshFromPage);
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
  async function refreshBatches() {
    const was = running;
    running = (await call("GET", "/api/batches")).running;
    // A batch's Stop in the activity is made anew at every look (every few seconds): the
    // focus on it stays on it, and once its batch ended goes to how the batch ended, not to
    // the page's top (a keyboard lost its place before it could press it).
    // The sessions table's Stop as well: rendered anew by the server with the view, and gone
    // from it once its batch ended, where the focus fell to the page's top.
    const focused = document.activeElement;
    const onStop = focused?.dataset.action === "stop" ? focused.dataset.session : null;
    const ended = was.filter((r) => !running.some((n) => n.session === r.session));
    if (ended.length) {
      await refreshFromPage();
      const end = document.getElementById("last-batch");
      for (const r of ended) {
        if (stopping.delete(r.session)) say(`Stopped ${r.session}. ${end ? end.textContent : ""}`);
      }
    }
    for (const ul of document.querySelectorAll("[data-running]")) {
      ul.replaceChildren(...running.filter((r) => r.kind === ul.dataset.running).map((r, i) => {
        const li = document.createElement("li");
        const session = document.createElement("span");
        session.className = "session"; session.textContent = r.session;
        session.id = `running-${ul.dataset.running}-${i}`;  // what its Stop is read with
        const stop = button("Stop", "stop");
        stop.setAttribute("aria-describedby", session.id);
        stop.dataset.session = r.session;
        const counts = `${number(r.items_done)} done, ${number(r.items_failed)} failed`;
        li.append("Batch ", session, ` running: ${counts} `, stop);
        return li;
      }));
      showRate(ul.dataset.running);
    }
    markStopping();
    if (onStop !== null && !focused.isConnected && focusFell()) {
      const again = [...document.querySelectorAll('[data-running] [data-action="stop"]')]
        .find((b) => b.dataset.session === onStop);
      (standIn(focused) || again || document.getElementById("last-batch"))?.focus();
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
    source.onopen = () => {
      live.textContent = "live";
      if (said.textContent === UNREACHABLE) say("");
      soon(refreshQueues); soon(refreshBatches);
    };
    source.onerror = () => { live.textContent = "reconnecting…"; };
    for (const type of ["claimed", "progress", "completed", "failed", "skipped", "decision"]) {
      source.addEventListener(type, (e) => {
        const data = JSON.parse(e.data);
        if (type !== "decision") current(data.kind, data);
        // A stage reached is said in place; an item back to pending (a retry, an undo, from
        // another page or the terminal) leaves the lists it was in: the view rendered anew.
        if (type !== "progress" || data.status === "pending") later(refreshFromPage);
        soon(refreshQueues);
        soon(refreshBatches);
      });
    }
    source.addEventListener("alert", (e) => {
      const data = JSON.parse(e.data);
      const el = document.getElementById("alert");
      el.hidden = false;
      // A batch's items completed without a rule plugin's findings: its own line says them.
      el.textContent = data.event === "resolved"
        ? `Resolved: ${data.kind} items complete again`
        : data.event === "plugins-left-out"
          ? `Alert: ${data.kind}: ${data.message}`
          : `Alert: ${number(data.consecutive_failures)} ${data.kind} items failed in a row`;
    });
  }

  // ---- asking: a dialog with a form, never window.prompt --------------------------------

  // The focus goes into the dialog as it opens: to what it asks for, else to its title, from
  // where the preview reads on (a group's is long: its first control was a link to its next
  // page); closed without taking it (Cancel, Escape), back to the control that opened it, or
  // to the one now in its place when the view was rendered anew meanwhile (a live page is).
  const dialog = document.getElementById("ask");
  const askTitle = document.getElementById("ask-title");
  function ask(title, build, opener = document.activeElement) {
    askTitle.textContent = title;
    const body = document.getElementById("ask-body");
    body.replaceChildren(...build());
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        const ok = dialog.returnValue === "ok";
        if (!ok) standIn(opener)?.focus();
        resolve(ok ? new FormData(document.getElementById("ask-form")) : null);
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      (body.querySelector("input, select") || askTitle).focus();
    });
  }

  // ``control`` (a question's or a group's button), or, once the server's rendering of the
  // view replaced it, the button of the same action for the same question or group; the
  // view's heading (where ``focusView`` put the focus), the new rendering's heading; a part
  // known by its own id (how a batch ended, where a Stop puts the focus), the part of that
  // id; a link (a library row's or a failed item's, where ``focusRow`` and ``failedAfter``
  // put it), the link to the same place in the same part of the page; a session's row or
  // button (an Undo gives the focus to its row of the recent changes), the same session's.
  const VIEW_HEADING = "#one-decision h1, #one-item h1, #decisions-title";
  function standIn(control) {
    if (!control || control.isConnected) return control;
    if (control.matches(VIEW_HEADING)) return document.querySelector(VIEW_HEADING);
    if (control.id) return document.getElementById(control.id);
    if (control.localName === "a" && control.hasAttribute("href")) {
      // The same link in the same part of the page, and in the same row of it where the row
      // has an id of its own (a question's data-id): an item's report is linked from each of
      // its questions, and the first of them was taken for the one that had the focus.
      const part = control.closest("[id]"), row = control.closest("[data-id]:not([id])");
      const href = control.getAttribute("href");
      let where = part ? `#${CSS.escape(part.id)} ` : "";
      if (row && (!part || part.contains(row))) {
        where += `[data-id="${CSS.escape(row.dataset.id)}"] `;
      }
      return [...document.querySelectorAll(`${where}a[href]`)]
        .find((a) => a.getAttribute("href") === href) || null;
    }
    const acts = control.closest(".acts");
    if (!acts) {  // a session's row or button (a Stop, an Undo): the same session's, where it was
      const session = control.dataset.session, within = control.closest("[id]")?.id;
      if (session === undefined || !within) return null;
      const action = control.dataset.action;
      const which = action === undefined ? ":not([data-action])"
        : `[data-action="${CSS.escape(action)}"]`;
      return [...document.querySelectorAll(`#${CSS.escape(within)} ${control.localName}${which}`)]
        .find((b) => b.dataset.session === session) || null;
    }
    const where = acts.dataset.id ? `.acts[data-id="${CSS.escape(acts.dataset.id)}"]`
      : `.group-acts[data-kind="${CSS.escape(acts.dataset.kind)}"][data-code="${CSS.escape(acts.dataset.code)}"]`;
    const which = ["action", "choose", "dismiss"].filter((k) => control.dataset[k] !== undefined)
      .map((k) => `[data-${k}="${CSS.escape(control.dataset[k])}"]`).join("");
    return document.querySelector(`${where} ${control.localName}${which}`);
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

  // ---- taking, and undoing what was taken -----------------------------------------------

  // The last act's session, what it did (``about``: its item and act, which its undo says it
  // takes back) and where the row it took away stood (``place``: a function finding that row
  // again, or its first control, once the view is rendered anew), where its undo gives the
  // focus: the Undo at the foot of the window hides as it is pressed, and the focus fell to
  // the page's top, far from the row brought back.
  let last = { session: "", about: "", place: null };
  // A question left as it is, said as its d key says it however it was left (its preview,
  // a whole group's dialog): the engine's record of it, "dismissed: left as it is" (which
  // the terminal says in brackets), after the item's name and a colon read "Undone ITEM:
  // dismissed: left as it is", two colons in one sentence. Any other answer as the engine
  // says it.
  const LEFT = "left as it is";
  const answered = (dismissed, done) => (dismissed ? LEFT : shown(done.what || "Done"));
  function taken(what, session, about = "", place = null) {
    last = { session: session || "", about, place };
    say(what + (session ? ` (session ${session})` : ""));
    document.getElementById("undo-last").hidden = !session;
  }

  // Where ``control``'s row stands, found again in the view rendered anew: a question by its
  // id, a whole group by its kind and code (its first question), a failed item by its
  // decision's id and a library's row by its item's key (each by its first control, a link),
  // a session of the recent changes by its id; none on a decision's own view (its heading:
  // ``focusView``).
  function placeOf(control) {
    const by = (selector) => () => document.querySelector(selector);
    const question = control.closest(".question");
    if (question) return by(`.question[data-id="${CSS.escape(question.dataset.id)}"]`);
    const group = control.closest(".group-acts");
    if (group) {
      return by(`.group[data-kind="${CSS.escape(group.dataset.kind)}"]` +
                `[data-code="${CSS.escape(group.dataset.code)}"] .question`);
    }
    const row = control.closest("#items [data-key]");
    if (row) {
      const key = row.dataset.key;
      return () => [...document.querySelectorAll("#items [data-key]")]
        .find((r) => r.dataset.key === key)?.querySelector("a.name");
    }
    const failed = control.closest(".failures .acts");
    if (failed) {
      return () => document.querySelector(`.failures .acts[data-id="${CSS.escape(failed.dataset.id)}"]`)
        ?.closest("li").querySelector("a, button");
    }
    const session = control.closest("#changes [data-session]");
    if (session) return by(`#changes [data-session="${CSS.escape(session.dataset.session)}"]`);
    return null;
  }

  function cell(row, text, tag = "td") {
    const el = document.createElement(tag); el.textContent = text; row.append(el); return el;
  }

  // What an answer would do, as the engine previews it: each field of each file with its
  // old and new value, each file moved and where, each item put back, what is left alone.
  function previewShown(p) {
    const box = document.createElement("div");
    const head = document.createElement("p");
    // Said as what would happen: nothing is done until "Take it".
    const strong = document.createElement("strong"); strong.textContent = shown(p.what);
    head.append("Preview, nothing written yet: ", strong,
                ` · would close ${p.closes.length} ${p.closes.length === 1 ? "decision" : "decisions"}`);
    box.append(head);
    if (p.writes.length) {
      const table = document.createElement("table"); table.className = "evidence";
      const top = document.createElement("tr");
      ["file", "field", "now", "after"].forEach((t) => cell(top, t, "th"));
      table.append(top);
      for (const w of p.writes) {  // every one: the scope is shown whole before it is taken
        const tr = document.createElement("tr");
        cell(tr, shown(w.file)); cell(tr, w.field);
        cell(tr, w.old === null || w.old === undefined ? "(none)" : tagValue(w.old));
        cell(tr, tagValue(w.new)).className = "differs";
        table.append(tr);
      }
      const files = new Set(p.writes.map((w) => w.path)).size;
      const scroll = document.createElement("div"); scroll.className = "scroll"; scroll.append(table);
      const values = p.writes.length;
      box.append(paragraph(`${number(values)} ${values === 1 ? "value" : "values"} would be ` +
                           `written to ${number(files)} ${files === 1 ? "file" : "files"}:`),
                 scroll);
    }
    for (const m of p.moves) box.append(paragraph(`${m.copy ? "copies" : "moves"} ${shown(m.from)} → ${shown(m.to)}`));
    for (const f of p.emptied || []) box.append(paragraph(`removes the folder it empties ${shown(f)}`));
    for (const q of p.queue) box.append(paragraph(`${shown(q.item)} goes ${q.goes}`));
    for (const r of p.refused) {
      const el = paragraph(`left alone: ${shown(r.file || r.path)} ${r.field || ""}: ${shown(r.why)}`);
      el.className = "bad"; box.append(el);
    }
    if (!p.writes.length && !p.moves.length) {  // an item put back too writes no file
      box.append(paragraph("No file would be written."));
    }
    return box;
  }

  const asked = new WeakMap();  // a preview's element -> the body it previewed, with its token
  const previewedBy = new WeakMap();  // a preview's element -> the choice that asked it
  function answerOf(decision, pressed) {
    const body = { id: decision.dataset.id };
    const form = decision.querySelector("form.answer");
    if (pressed.dataset.choose) {
      body.choose = parseInt(pressed.dataset.choose, 10);
      // The pressed choice's own fields: another proposal's boxes are another choice's.
      const fields = [...decision.querySelectorAll(
        `table[data-choice="${body.choose}"] input[name="fields"]`)];
      if (fields.length && fields.some((f) => !f.checked)) {
        body.fields = fields.filter((f) => f.checked).map((f) => f.value);
        if (!body.fields.length) throw new Error("Tick the fields to write first (or leave it as it is).");
      }
    } else if (pressed.dataset.dismiss) {
      body.dismiss = true;
    } else if (pressed.dataset.set) {
      const value = form.elements.value.value;
      if (!value) throw new Error("Type the value first.");
      body.set = { [pressed.dataset.set]: value };
      body.scope = form.elements.scope.value;
    }
    return body;
  }

  async function preview(pressed) {
    const decision = pressed.closest(".decision");
    const area = decision.querySelector(".preview");
    // The preview shown says what another press would do: gone before this one is asked,
    // so a press refused (no value typed, the server's refusal) leaves no "Take it" of
    // another choice under it.
    area.replaceChildren();
    const body = answerOf(decision, pressed);
    const p = await call("POST", "/api/decisions/preview", body);
    const takeIt = button("Take it", "take");
    const cancel = button("Cancel", "cancel-preview");
    // Told by the item and question as the choice pressed is (a screen reader's list of
    // buttons reads them apart from the page).
    for (const b of [takeIt, cancel]) {
      const about = pressed.getAttribute("aria-describedby");
      if (about) b.setAttribute("aria-describedby", about);
    }
    const acts = document.createElement("p"); acts.className = "acts";
    acts.append(takeIt, " ", cancel);
    area.replaceChildren(previewShown(p), acts);
    asked.set(area, { ...body, token: p.token });
    previewedBy.set(area, pressed);
    takeIt.focus();
  }

  // A take, and why what it left alone was (a file changed since it was looked at, said
  // before the rest): one refused in part did the rest, a session offered for an undo as
  // any other take's.
  async function posted(body) {
    try {
      return { done: await call("POST", "/api/decisions", body), leftAlone: "" };
    } catch (err) {
      if (!err.answer?.session) throw err;
      return { done: err.answer, leftAlone: `${err.message}. ` };
    }
  }

  async function take(pressed) {
    const area = pressed.closest(".preview");
    const from = placeAmong(pressed);
    // Read before the preview (and the pressed button with it) is taken off the page.
    const asking = pressed.closest(".question");
    const item = (asking?.querySelector(".name")
      || document.querySelector("#one-decision h1"))?.textContent;
    const place = placeOf(pressed);
    const dismissed = asked.get(area)?.dismiss === true;
    let done, leftAlone;
    try {
      ({ done, leftAlone } = await posted(asked.get(area)));
    } finally {
      // Taken or refused (the files changed since, the question taken elsewhere), the
      // preview no longer says what its "Take it" would do: a new preview is asked for.
      area.replaceChildren();
      if (focusFell() && asking?.isConnected) asking.focus();
    }
    const what = answered(dismissed, done);
    taken(leftAlone + (dismissed && item ? `Decided ${item}: ${done.closed} closed.`
                                         : `${what}: ${done.closed} closed.`),
          done.session, item ? `${item}: ${what}` : what, place);
    await refreshFromPage();
    goOn(from);
    focusView();
  }

  // An action's control gone with what it acted on (a decision taken or undone on its own
  // view, the Undo at the foot of the window hidden): the focus goes to the view's own
  // heading, from where a screen reader reads on what the view says now, not to the page's
  // top (where a keyboard would begin again from the header).
  function focusView() {
    if (!focusFell()) return;
    document.querySelector(VIEW_HEADING)?.focus();
  }

  // The library's row of ``key`` takes the focus back (its link), once its list was rendered
  // anew by the action taken from it (a retry, a skip); it is not listed any more: the count.
  function focusRow(key) {
    if (key === undefined || !focusFell()) return;
    const row = [...document.querySelectorAll("#items [data-key]")].find((r) => r.dataset.key === key);
    (row?.querySelector("a.name") || document.getElementById("matches"))?.focus();
  }

  // The item acted on, as the page shows it (rendered by the server: a duplicate group by
  // its artist and album, not by its id; a failed item by its name, not by the act).
  async function quick(acts, action) {
    const id = acts.dataset.id;
    const who = acts.dataset.shown;
    const from = placeAmong(acts);
    const row = acts.closest("#items [data-key]")?.dataset.key;  // a library's row
    const failed = failedAfter(acts);
    const place = placeOf(acts);
    if (action === "dismiss") {
      const done = await call("POST", "/api/decisions", { id, dismiss: true });
      taken(`Decided ${who}: ${done.closed} closed.`, done.session, `${who}: ${LEFT}`, place);
    } else if (action === "retry" || action === "skip") {
      const done = await call("POST", "/api/decisions", { id, choose: action === "retry" ? 1 : 2 });
      const what = action === "retry" ? "back to pending" : "skipped";
      taken(`${what[0].toUpperCase()}${what.slice(1)}: ${who}.`, done.session, `${who}: ${what}`, place);
    } else if (action === "best") {  // files move: what moves where is said, and asked once
      const p = await call("POST", "/api/decisions/preview", { id, choose: 1 });
      const ok = await ask("Keep the best copy?", () => [previewShown(p), paragraph(
        "The copies not kept go to the holding folder, never deleted; Undo puts each back.")]);
      if (!ok) return;
      const { done, leftAlone } = await posted({ id, choose: 1, token: p.token });
      taken(`${leftAlone}Kept the best of ${who}: ${done.closed} closed.`, done.session,
            `${who}: kept the best`, place);
    }
    await refreshFromPage();
    goOn(from);
    focusRow(row);
    failed();
    focusView();
  }

  // A failed item of the overview retried or skipped leaves its list: the focus goes to the
  // failed item now in its place (its link), else to the one before it, else to the list's
  // heading, not to the page's top. Returns what gives it once the view is rendered anew.
  function failedAfter(acts) {
    const list = acts.closest(".failures");
    if (!list) return () => {};
    const rows = [...list.children];
    const at = rows.indexOf(acts.closest("li"));
    const kind = list.dataset.failures;
    return () => {
      if (!focusFell()) return;
      const now = [...document.querySelectorAll(`.failures[data-failures="${CSS.escape(kind)}"] > li`)];
      const stands = now[Math.min(at, now.length - 1)];
      (stands?.querySelector("a, button") || document.getElementById("failed-title"))?.focus();
    };
  }

  async function groupPreview(pressed) {
    const acts = pressed.closest(".group-acts");
    const from = placeAmong(pressed);
    const query = new URLSearchParams({ kind: acts.dataset.kind, code: acts.dataset.code });
    if (pressed.dataset.choose) query.set("choose", pressed.dataset.choose);
    const answer = await reach(base + "/decisions/group?" + query);
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    if (!answer.ok) throw new Error(fresh.body.textContent.trim());
    // Exactly what was previewed: refused, nothing written, if anything changed since.
    const token = fresh.body.querySelector(".group-preview")?.dataset.token;
    const group = `${acts.dataset.kind} · ${acts.dataset.means || acts.dataset.code}`;
    const ok = await ask(`${group}: all at once?`,
                         () => [...fresh.body.childNodes].map((n) => document.adoptNode(n)), pressed);
    if (!ok) return;
    const body = { kind: acts.dataset.kind, code: acts.dataset.code, all: true };
    if (token) body.token = token;
    if (pressed.dataset.choose) body.choose = parseInt(pressed.dataset.choose, 10);
    else body.dismiss = acts.dataset.code;
    const { done, leftAlone } = await posted(body);
    // A duplicates group's dismissal keeps all its copies: said as the engine says it.
    const dismissed = body.dismiss !== undefined && acts.dataset.kind !== "dupes";
    taken(`${leftAlone}The whole group: ${done.closed} closed.`, done.session,
          `the whole group ${group}: ${answered(dismissed, done)}`, placeOf(pressed));
    await refreshFromPage();
    goOn(from);  // the group gone, the question now in its place
    focusView();  // or none left: the view's heading
  }

  // Another page of a group's preview's items, in place of the one shown (the preview's
  // token, which the take carries, stays the one first shown).
  async function groupPage(link) {
    const answer = await reach(link.href);
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    if (!answer.ok) throw new Error(fresh.body.textContent.trim());
    const shown = link.closest(".group-preview");
    for (const part of [".preview-pages", ".preview-page"]) {
      shown.querySelector(part).replaceWith(document.adoptNode(fresh.querySelector(part)));
    }
    shown.querySelector(".preview-pages").focus();
  }

  // A question's evidence and choices: the server's rendering of it, put in place.
  async function open(question) {
    const slot = question.querySelector(".slot");
    if (!slot.hidden) { slot.hidden = true; return; }
    const id = question.dataset.id;
    const answer = await reach(`${base}/decisions/${encodeURIComponent(id)}?part=1`);
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    slot.replaceChildren(...[...fresh.body.childNodes].map((n) => document.adoptNode(n)));
    slot.hidden = false;
    const first = slot.querySelector("button");
    if (first) first.focus();
  }

  // ``about`` and ``place``: what the act undone did and where its row stood (``taken``): the
  // undo says it, and the row brought back takes the focus (its own view's heading, else).
  async function undo(session, about = "", place = null) {
    const d = await call("POST", "/api/undo", { session });
    const parts = [];
    if (d.restored) parts.push(counted(d.restored, "value", "values") + " back");
    if (d.put_back) parts.push(counted(d.put_back, "file", "files") + " back");
    if (d.reopened) parts.push(counted(d.reopened, "question", "questions") + " open again");
    const left = (d.left_alone || []).length;
    if (left) parts.push(`${number(left)} left alone`);
    say(`Undone ${about ? `${about} (session ${session})` : session}: ` +
        `${parts.join(", ") || "nothing left to put back"}.`);
    document.getElementById("undo-last").hidden = true;
    last = { session: "", about: "", place: null };
    await refreshFromPage();
    const restored = place?.();
    if (restored) restored.focus();
    else focusView();
  }

  async function act(target) {
    const action = target.dataset.action;
    const acts = target.closest(".acts");
    if (action === "open") return open(target.closest(".question"));
    if (action === "preview") return preview(target);
    if (action === "take") return take(target);
    if (action === "cancel-preview") {  // the focus back on the choice it previewed
      const area = target.closest(".preview");
      area.replaceChildren();
      const choice = previewedBy.get(area);
      if (choice?.isConnected) choice.focus();
      return;
    }
    if (action === "group-preview") return groupPreview(target);
    if (action === "group-page") return groupPage(target);
    if (acts && ["dismiss", "best", "retry", "skip"].includes(action)) return quick(acts, action);
    if (action === "undo") return undo(target.dataset.session, "", placeOf(target));
    if (action === "undo-last" && last.session) return undo(last.session, last.about, last.place);
    if (action === "stop") {
      // Pressed once, said so and pressed no more; not disabled, which takes the focus off it.
      if (stopping.has(target.dataset.session)) return;
      stopping.add(target.dataset.session);
      markStopping();
      await call("POST", `/api/batches/${encodeURIComponent(target.dataset.session)}/stop`);
      say("Stopping " + target.dataset.session + "…");
      await refreshBatches();
    }
  }

  document.addEventListener("click", (e) => {
    const target = e.target.closest("button[data-action], a[data-action]");
    if (!target) return;
    e.preventDefault();
    act(target).catch((err) => say(err.message));
  });

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.classList.contains("answer")) { e.preventDefault(); return; }
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
    let asked = 0;  // the latest search: an answer to an earlier one that comes later is dropped
    const search = () => {
      clearTimeout(typing);
      const query = new URLSearchParams(new FormData(browse));
      for (const [k, v] of [...query.entries()]) if (!v) query.delete(k);
      const url = base + "/library?" + query.toString();
      history.replaceState(null, "", url);
      const mine = ++asked;
      refreshFromPage(url, () => mine === asked).catch((err) => say(err.message));
    };
    // One search a change: a list chosen at once, a name once typing pauses. (A select fires
    // both "input" and "change": listening to both searched twice, and the second answer
    // could land after a link to the next page was followed.)
    browse.addEventListener("input", (e) => {
      clearTimeout(typing);
      if (e.target.tagName === "SELECT") search();
      else typing = setTimeout(search, 150);
    });
    browse.addEventListener("submit", (e) => { e.preventDefault(); search(); });
  }

  // ---- keys, as decide -i takes them ----------------------------------------------------

  let at = -1;
  // Whether the focus fell: to the page's top, or it is on a control no longer shown (the
  // Undo at the foot of the window, hidden as it is pressed: the browser moves the focus to
  // the top only at its next rendering, and a look for the top alone made before that found
  // the focus elsewhere and left it to fall after).
  function focusFell() {
    return document.activeElement === document.body || !document.activeElement?.checkVisibility();
  }
  const questions = () => [...document.querySelectorAll(".question")];
  // Where ``control``'s question stands among them (a whole group's control: the group's
  // first question), -1 outside them: where ``goOn`` gives the focus once the view is
  // rendered anew without it, answered here or elsewhere.
  const placeAmong = (control) => questions().indexOf(control?.closest(".question")
    || control?.closest(".group")?.querySelector(".question"));
  function markCurrent() {
    const all = questions();
    all.forEach((q, i) => q.classList.toggle("current", i === at));
    if (at >= all.length) at = all.length - 1;
  }
  // A question answered is gone from the page, and the focus with it (to the page's top): the
  // question now in its place takes it, as decide -i goes on to the next, so a keyboard goes
  // on from where it was. ``from``: the answered question's place (-1: none, left as it is).
  function goOn(from) {
    const all = questions();
    if (from < 0 || !all.length || !focusFell()) return;
    at = Math.min(from, all.length - 1);
    markCurrent();
    all[at].focus();
  }
  function move(by) {
    const all = questions();
    if (!all.length) return;
    at = Math.max(0, Math.min(all.length - 1, at + by));
    markCurrent();
    all[at].focus();
  }
  // j/k the next or previous question, o (or Enter) its evidence and choices, a number
  // that choice's preview (opened first if need be), y (or Enter) to take the preview
  // shown, d to leave it as it is, u to undo the last change, / to search.
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || dialog.open) return;
    if (e.target.closest("input, select, textarea")) return;
    if (e.key === "Enter" && e.target.closest("button, a, summary")) return;  // its own click
    // A decision's own view has no list of questions: its one decision, open already, is the
    // question the keys act on, and its d previews leaving it as it is (no quick dismissal).
    const own = document.querySelector("#one-decision .decision");
    const question = own || questions()[at];
    const acts = question && !own ? question.querySelector(".acts") : null;
    const leave = own ? own.querySelector('[data-action="preview"][data-dismiss]') : null;
    const run = (p) => p.catch((err) => say(err.message));
    const shownTake = question ? question.querySelector('.preview [data-action="take"]') : null;
    if (e.key === "j") move(1);
    else if (e.key === "k") move(-1);
    else if (e.key === "u" && last.session) run(undo(last.session, last.about, last.place));
    else if (e.key === "/" && document.getElementById("search")) {
      e.preventDefault(); document.getElementById("search").focus();
    } else if (question && (e.key === "y" || e.key === "Enter") && shownTake) run(take(shownTake));
    else if (question && !own && (e.key === "o" || e.key === "Enter")) run(open(question));
    else if (acts && e.key === "d") run(quick(acts, "dismiss"));
    else if (leave && e.key === "d") run(preview(leave));
    else if (question && /^[1-9]$/.test(e.key)) {
      run((async () => {
        if (question.querySelector(".slot")?.hidden) await open(question);
        const choice = question.querySelector(`[data-action="preview"][data-choose="${e.key}"]`);
        if (!choice) throw new Error(`This question has no choice ${e.key}.`);
        await preview(choice);
      })());
    } else return;
    e.preventDefault();
  });

  listen();
  stillReading();
})();

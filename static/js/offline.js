// Offline attendance (docs/offline.md). Loaded on every page by base.html
// ({% offline_client %}, templates/sessions/offline/_client.html).
//
// The phone keeps, in IndexedDB ("peersupport-offline"):
//   meta      whose data it is (an opaque token, never a name), when rosters were fetched
//   sessions  the rosters the server says this facilitator may keep (date, cohort code,
//             preferred names, codes, statuses), each with the time it was fetched
//   queue     taps and session logs made without a connection: an id made here
//             (crypto.randomUUID), the time it was made, the owner token
//   results   what the server answered about taps it did not keep, until dismissed
// Everything is deleted on sign-out, after 72 hours, and a roster as soon as the server
// no longer lists its session (the facilitator was removed from the group, the session is
// out of the window).
(function () {
  "use strict";
  var script = document.getElementById("offline-client");
  var stringsElement = document.getElementById("offline-strings");
  if (!script || !stringsElement || !window.indexedDB) { return; }
  var T = JSON.parse(stringsElement.textContent);
  var cfg = script.dataset;
  var MAX_AGE = 72 * 3600 * 1000;
  var DB_NAME = "peersupport-offline";
  var STORES = ["meta", "sessions", "queue", "results"];
  var sheetPrefix = cfg.sheetUrl.split("/0/")[0] + "/";
  var pagePattern = new RegExp("^" + sheetPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") +
    "(\\d+)/(attendance|log)/$");

  // --- Small helpers -------------------------------------------------------------------
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }
  function counted(forms, n) {
    return fmt(n === 0 ? forms.zero : (n === 1 ? forms.one : forms.other), { count: n });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  function hhmm(ms) {
    var d = new Date(ms);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function statusLabel(value) {
    var found = T.statuses.filter(function (s) { return s[0] === value; })[0];
    return found ? found[1] : value;
  }

  // --- IndexedDB -----------------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var d = request.result;
          d.createObjectStore("meta");
          d.createObjectStore("sessions", { keyPath: "id" });
          d.createObjectStore("queue", { keyPath: "id" });
          d.createObjectStore("results", { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function tx(store, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var result = work(t.objectStore(store));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all(store) { return tx(store, "readonly", function (s) { return s.getAll(); }); }
  function put(store, value, key) {
    return tx(store, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
  }
  function remove(store, key) { return tx(store, "readwrite", function (s) { return s.delete(key); }); }
  function clear(store) { return tx(store, "readwrite", function (s) { return s.clear(); }); }
  function getMeta(key) { return tx("meta", "readonly", function (s) { return s.get(key); }); }

  function wipe() {
    // Sign-out: nothing stays on the phone, and the worker's kept shell goes too.
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("forget");
    }
    return db().then(function (d) {
      return Promise.all(STORES.map(function (store) { return clear(store); })).then(function () {
        d.close();
        dbPromise = null;
      });
    });
  }

  function purgeOld() {
    var limit = Date.now() - MAX_AGE;
    return Promise.all([
      all("sessions").then(function (rows) {
        return Promise.all(rows.filter(function (r) { return r.savedAt < limit; })
          .map(function (r) { return remove("sessions", r.id); }));
      }),
      all("queue").then(function (rows) {
        var old = rows.filter(function (r) { return r.at < limit; });
        if (!old.length) { return null; }
        // Deleted unsent, but never silently: the person is told how many.
        return Promise.all(old.map(function (r) { return remove("queue", r.id); })).then(function () {
          return put("results", {
            id: "expired-" + Date.now(), result: "expired", time: Date.now(),
            text: counted(T.expired, old.length)
          });
        });
      }),
      all("results").then(function (rows) {
        return Promise.all(rows.filter(function (r) { return r.time < limit; })
          .map(function (r) { return remove("results", r.id); }));
      })
    ]);
  }

  // Whose data this is. Another person signing in on the phone never sees the first
  // one's rosters or results; their queued changes wait (with no name in them) until
  // they sign in again, or 72 hours.
  function claim() {
    if (!cfg.owner) { return Promise.resolve(); }
    return getMeta("owner").then(function (owner) {
      var work = Promise.resolve();
      if (owner && owner !== cfg.owner) {
        work = Promise.all([clear("sessions"), clear("results")]);
      }
      return work.then(function () { return put("meta", cfg.owner, "owner"); });
    });
  }
  function currentOwner() {
    return cfg.owner ? Promise.resolve(cfg.owner) : getMeta("owner");
  }
  function myQueue() {
    return Promise.all([all("queue"), currentOwner()]).then(function (r) {
      return r[0].filter(function (item) { return item.owner === r[1]; })
        .sort(function (a, b) { return a.at - b.at; });
    });
  }

  // --- Banner: what waits on this phone, and what happened to what was sent -----------
  var signedOut = false;
  var otherPerson = false;
  function main() { return document.getElementById("main") || document.body; }
  function renderBanner() {
    return Promise.all([myQueue(), all("results"), getMeta("owner")]).then(function (r) {
      var queue = r[0], results = r[1];
      var old = document.getElementById("offline-banner");
      if (old) { old.remove(); }
      var taps = queue.filter(function (q) { return q.kind === "tap"; }).length;
      var logs = queue.length - taps;
      var box = el("div", { id: "offline-banner", class: "offline-banner" });
      if (!navigator.onLine) {
        box.appendChild(el("p", { class: "alert alert-secondary mb-2", role: "status", text: T.offline }));
      }
      if (queue.length) {
        var words = [];
        if (taps) { words.push(counted(T.waiting, taps)); }
        if (logs) { words.push(counted(T.logs_waiting, logs)); }
        var line = el("p", { class: "alert alert-warning mb-2", role: "status", id: "offline-waiting" });
        line.appendChild(el("strong", { text: words.join(" · ") }));
        if (signedOut) {
          line.appendChild(document.createTextNode(" "));
          line.appendChild(el("a", { href: cfg.loginUrl, text: T.sign_in_again }));
        } else if (otherPerson) {
          line.appendChild(el("span", { class: "d-block small", text: T.other_person }));
        }
        box.appendChild(line);
      }
      // What happened to the taps names people: shown to the person who made them only.
      var mine = cfg.shell === "1" || (cfg.owner && r[2] === cfg.owner);
      if (results.length && mine) {
        var list = el("ul", { class: "mb-2" });
        results.sort(function (a, b) { return a.time - b.time; }).forEach(function (item) {
          list.appendChild(el("li", { class: "offline-result offline-" + item.result, text: item.text }));
        });
        var dismiss = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: T.dismiss });
        dismiss.addEventListener("click", function () { clear("results").then(renderBanner); });
        box.appendChild(el("div", { class: "alert alert-info mb-2", role: "status", id: "offline-results" }, [
          el("p", { class: "fw-semibold mb-1", text: T.results_title }), list, dismiss
        ]));
      }
      if (box.childNodes.length) { main().insertBefore(box, main().firstChild); }
      return queue;
    });
  }

  // --- Sync ----------------------------------------------------------------------------
  var syncing = null;
  function wantsRosters() {
    return rostersWanted || cfg.shell === "1";
  }
  function describe(answer, sessions, item) {
    var session = sessions[answer.session];
    var person = session && session.people.filter(function (p) { return p.e === answer.enrollment; })[0];
    var who = person ? (person.name ? person.name + " (" + person.code + ")" : person.code) : (answer.person || "");
    if (answer.kind === "log" || (item && item.kind === "log")) {
      return fmt(T.log_refused, { date: session ? session.date : "", reason: answer.reason || "" });
    }
    if (answer.result === "overridden") {
      return fmt(T.overridden, {
        who: who, mine: statusLabel(answer.status), time: item ? hhmm(item.at) : "",
        by: answer.by, kept: statusLabel(answer.kept), at: answer.at ? hhmm(Date.parse(answer.at)) : ""
      });
    }
    return fmt(T.refused, { who: who, reason: answer.reason || "" });
  }
  function storeAnswers(answers, queue) {
    return all("sessions").then(function (rows) {
      var sessions = {};
      rows.forEach(function (s) { sessions[s.id] = s; });
      var byId = {};
      queue.forEach(function (item) { byId[item.id] = item; });
      return Promise.all(answers.map(function (answer) {
        var item = byId[answer.id];
        var work = remove("queue", answer.id);
        if (answer.result !== "applied") {
          work = work.then(function () {
            return put("results", {
              id: answer.id, result: answer.result, time: Date.now(),
              text: describe(answer, sessions, item)
            });
          });
        }
        return work;
      }));
    });
  }
  function keepOnly(body) {
    var keep = {};
    (body.keep || []).forEach(function (id) { keep[id] = true; });
    return all("sessions").then(function (rows) {
      var work = rows.filter(function (s) { return !keep[s.id]; }).map(function (s) { return remove("sessions", s.id); });
      (body.sessions || []).forEach(function (s) {
        s.savedAt = Date.now();
        work.push(put("sessions", s));
      });
      return Promise.all(work);
    });
  }
  function sync() {
    if (syncing) { return syncing; }
    if (!navigator.onLine) { return Promise.resolve(); }
    var changed = false;
    syncing = myQueue().then(function (queue) {
      var url = cfg.syncUrl + (wantsRosters() ? "?rosters=1" : "");
      var options = { credentials: "same-origin", headers: { "Accept": "application/json" } };
      return currentOwner().then(function (owner) {
        if (queue.length) {
          options.method = "POST";
          options.headers["Content-Type"] = "application/json";
          options.headers["X-CSRFToken"] = csrfToken();
          options.body = JSON.stringify({ owner: owner, sent: Date.now(), changes: queue.slice(0, 500) });
          showSending(queue.length);
        }
        return fetch(url, options);
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        // Not an answer of the sync (a sign-in page, a kiosk, a proxy's error): try later.
        if (!json || response.redirected) { return null; }
        return response.json().then(function (body) {
          signedOut = response.status === 401;
          otherPerson = response.status === 409;
          if (!response.ok) { return null; }
          changed = (body.answers || []).length > 0 || !!body.sessions || !body.offline;
          if (!body.offline) {
            // Not a facilitator in this organisation: nothing to keep on this phone.
            return Promise.all([clear("sessions"), storeAnswers(body.answers || [], queue)]);
          }
          return storeAnswers(body.answers || [], queue).then(function () { return keepOnly(body); });
        });
      });
    }).catch(function () { /* no connection after all: try again later */ })
      .then(function () { syncing = null; return afterSync(changed); });
    return syncing;
  }
  function showSending(n) {
    var line = document.getElementById("offline-waiting");
    if (line) { line.textContent = T.sending + " " + counted(T.waiting, n); }
  }
  function afterSync(changed) {
    return renderBanner().then(function () {
      if (cfg.shell === "1") { return changed ? renderShell() : null; }
      return paintSheet();
    }).then(function () {
      return myQueue().then(function (queue) {
        if (queue.length && !signedOut && !otherPerson && navigator.onLine && !retryTimer) {
          retryTimer = setTimeout(function () { retryTimer = null; sync(); }, 15000);
        }
      });
    });
  }
  var retryTimer = null;

  // --- Queueing ------------------------------------------------------------------------
  function queueChange(change) {
    return currentOwner().then(function (owner) {
      change.id = uuid();
      change.at = Date.now();
      change.owner = owner || "";
      return put("queue", change);
    }).then(function () {
      return renderBanner();
    }).then(function () {
      if (navigator.onLine) { sync(); }
    });
  }

  // The server-drawn sheet, when the connection is gone: a tap is kept on the phone.
  function sheetSession() {
    var match = location.pathname.match(pagePattern);
    return match ? parseInt(match[1], 10) : null;
  }
  function markQueued(row, status) {
    row.setAttribute("data-status", status);
    row.setAttribute("data-pending", "");
    row.setAttribute("data-state", "queued");
    row.querySelectorAll(".att-btn").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === status ? "true" : "false");
      button.classList.remove("is-pending");
    });
    var note = row.querySelector(".att-queued");
    if (!note) {
      note = el("span", { class: "att-queued small d-block", text: T.queued });
      row.appendChild(note);
    }
  }
  function paintSheet() {
    var session = sheetSession();
    if (session === null || !document.querySelector("[data-att-row]")) { return Promise.resolve(); }
    return Promise.all([myQueue(), all("sessions")]).then(function (r) {
      var stored = r[1].filter(function (s) { return s.id === session; })[0];
      if (stored) {
        stored.people.forEach(function (p) {
          var row = document.getElementById("att-" + p.e);
          if (row && row.getAttribute("data-state") === "queued") {
            row.setAttribute("data-state", "");
            var note = row.querySelector(".att-queued");
            if (note) { note.remove(); }
            row.setAttribute("data-status", p.status);
            row.querySelectorAll(".att-btn").forEach(function (button) {
              button.setAttribute("aria-pressed", button.value === p.status ? "true" : "false");
            });
          }
        });
      }
      r[0].forEach(function (item) {
        if (item.kind !== "tap" || item.session !== session) { return; }
        var row = document.getElementById("att-" + item.enrollment);
        if (row) { markQueued(row, item.status); }
      });
    });
  }
  // A tap saved online: the roster the phone keeps shows it too.
  document.addEventListener("htmx:afterSwap", function (event) {
    var row = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("[data-att-row]") : null;
    var marker = row ? row.querySelector("[data-saved-status]") : null;
    var session = sheetSession();
    if (!marker || session === null || event.detail.xhr.status >= 400) { return; }
    var enrollment = parseInt(row.querySelector("input[name=enrollment]").value, 10);
    all("sessions").then(function (rows) {
      var stored = rows.filter(function (r) { return r.id === session; })[0];
      if (!stored) { return null; }
      stored.people.forEach(function (p) {
        if (p.e === enrollment) { p.status = marker.getAttribute("data-saved-status"); }
      });
      return put("sessions", stored);
    });
  });
  document.addEventListener("click", function (event) {
    if (navigator.onLine || cfg.shell === "1") { return; }
    var button = event.target.closest ? event.target.closest(".att-btn") : null;
    var row = button ? button.closest("[data-att-row]") : null;
    var session = sheetSession();
    if (!row || session === null) { return; }
    event.preventDefault();
    event.stopPropagation();
    var enrollment = parseInt(row.querySelector("input[name=enrollment]").value, 10);
    markQueued(row, button.value);
    queueChange({ kind: "tap", session: session, enrollment: enrollment, status: button.value });
  }, true);

  function logFrom(form) {
    var value = function (name) {
      var field = form.querySelector("[name=" + name + "]");
      return field ? field.value : "";
    };
    var incident = form.querySelector("[name=incident_flagged]");
    return {
      duration_minutes: value("duration_minutes"), topics_covered: value("topics_covered"),
      notes: value("notes"), incident: !!(incident && incident.checked),
      incident_notes: value("incident_notes")
    };
  }
  function logProblem(log) {
    var minutes = parseInt(log.duration_minutes, 10);
    if (!(minutes >= 1 && minutes <= 1440)) { return T.duration_error; }
    if (log.incident && !log.incident_notes.trim()) { return T.incident_error; }
    return "";
  }
  function queueLog(form, session) {
    var log = logFrom(form);
    var problem = logProblem(log);
    var old = form.querySelector(".offline-log-message");
    if (old) { old.remove(); }
    if (problem) {
      form.appendChild(el("p", { class: "offline-log-message text-danger", role: "alert", text: problem }));
      return;
    }
    log.kind = "log";
    log.session = session;
    queueChange(log).then(function () {
      form.appendChild(el("p", { class: "offline-log-message alert alert-success", role: "status", text: T.log_queued }));
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute("action") || "";
    if (action === cfg.logoutUrl) { signOut(event, form); return; }
    if (navigator.onLine || !/\/attendance\/save\/$/.test(action)) { return; }
    var session = sheetSession();
    if (session === null) { return; }
    event.preventDefault();
    queueLog(form, session);
  }, true);

  // --- Sign-out: warn about what was not sent, then delete everything -----------------
  function signOut(event, form) {
    if (form.getAttribute("data-offline-confirmed") === "1") { return; }
    event.preventDefault();
    myQueue().then(function (queue) {
      function leave() {
        form.setAttribute("data-offline-confirmed", "1");
        wipe().then(function () { form.submit(); }, function () { form.submit(); });
      }
      if (!queue.length) { leave(); return; }
      var old = document.getElementById("offline-signout");
      if (old) { old.remove(); }
      var taps = queue.filter(function (q) { return q.kind === "tap"; }).length;
      var words = [];
      if (taps) { words.push(counted(T.waiting, taps)); }
      if (queue.length - taps) { words.push(counted(T.logs_waiting, queue.length - taps)); }
      var confirm = el("button", { type: "button", class: "btn btn-danger", id: "offline-signout-confirm", text: T.signout_confirm });
      var stay = el("button", { type: "button", class: "btn btn-outline-secondary", text: T.stay });
      var box = el("div", { id: "offline-signout", class: "alert alert-danger", role: "alertdialog", "aria-labelledby": "offline-signout-title" }, [
        el("p", { class: "fw-semibold mb-1", id: "offline-signout-title", text: words.join(" · ") }),
        el("p", { text: T.signout_warning }),
        el("div", { class: "d-flex flex-wrap gap-2" }, [stay, confirm])
      ]);
      confirm.addEventListener("click", leave);
      stay.addEventListener("click", function () { box.remove(); });
      main().insertBefore(box, main().firstChild);
      window.scrollTo(0, 0);
      stay.focus();
    });
  }

  // --- The offline shell: My sessions, a roster, a session log from what is kept ------
  function renderShell() {
    var holder = document.getElementById("offline-shell");
    if (!holder) { return Promise.resolve(); }
    return Promise.all([all("sessions"), myQueue()]).then(function (r) {
      var sessions = r[0].sort(function (a, b) { return a.date < b.date ? -1 : (a.date > b.date ? 1 : 0); });
      var queue = r[1];
      holder.textContent = "";
      var match = location.pathname.match(pagePattern);
      var session = match && sessions.filter(function (s) { return s.id === parseInt(match[1], 10); })[0];
      if (session) {
        drawRoster(holder, session, queue, match[2] === "log");
      } else {
        drawHome(holder, sessions, location.pathname !== cfg.homeUrl && location.pathname !== cfg.shellUrl);
      }
    });
  }
  function title(session) {
    return session.cohort + " · " + fmt(T.session, { number: session.number });
  }
  function drawHome(holder, sessions, elsewhere) {
    holder.appendChild(el("h1", { class: "h3", text: T.my_sessions }));
    if (elsewhere) { holder.appendChild(el("p", { class: "alert alert-secondary", text: T.not_offline })); }
    if (!sessions.length) { holder.appendChild(el("p", { class: "text-body-secondary", text: T.no_sessions })); return; }
    var list = el("ul", { class: "list-group" });
    sessions.forEach(function (s) {
      list.appendChild(el("li", { class: "list-group-item d-flex justify-content-between align-items-center gap-2" }, [
        el("span", { text: s.date + " · " + title(s) }),
        el("a", { class: "btn btn-outline-primary btn-tap", href: cfg.sheetUrl.replace("/0/", "/" + s.id + "/"), text: T.open })
      ]));
    });
    holder.appendChild(list);
  }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function drawRoster(holder, session, queue, logOnly) {
    holder.appendChild(el("nav", { "aria-label": "breadcrumb" }, [el("a", { href: cfg.homeUrl, text: T.my_sessions })]));
    holder.appendChild(el("h1", { class: "h4 mb-1", text: title(session) }));
    holder.appendChild(el("p", { class: "text-body-secondary mb-1", text: session.date }));
    holder.appendChild(el("p", { class: "small text-body-secondary", text: fmt(T.saved_at, { time: hhmm(session.savedAt) }) }));
    var open = session.date <= today();
    if (!open) { holder.appendChild(el("p", { class: "alert alert-warning", text: T.not_yet })); }
    var latest = {};
    queue.forEach(function (item) {
      if (item.kind === "tap" && item.session === session.id) { latest[item.enrollment] = item.status; }
    });
    if (!logOnly) {
      var sheet = el("div", { class: "list-group mb-4 att-sheet" });
      session.people.forEach(function (person) {
        var queued = latest[person.e];
        var status = queued || person.status;
        var row = el("div", { class: "att-row list-group-item", id: "att-" + person.e, "data-att-row": "", "data-status": status, "data-state": queued ? "queued" : "" }, [
          el("div", { class: "d-flex justify-content-between align-items-baseline gap-2" }, [
            el("span", { class: "att-name fw-semibold", text: person.name || person.code }),
            el("span", { class: "att-code small text-body-secondary", text: person.code })
          ])
        ]);
        var buttons = el("div", { class: "att-buttons", role: "group", "aria-label": person.code });
        T.statuses.forEach(function (pair) {
          var button = el("button", { type: "button", class: "btn att-btn att-" + pair[0], value: pair[0], "aria-pressed": status === pair[0] ? "true" : "false", text: pair[1] });
          if (!open) { button.disabled = true; }
          button.addEventListener("click", function () {
            markQueued(row, pair[0]);
            queueChange({ kind: "tap", session: session.id, enrollment: person.e, status: pair[0] });
          });
          buttons.appendChild(button);
        });
        row.appendChild(buttons);
        if (queued) { row.appendChild(el("span", { class: "att-queued small d-block", text: T.queued })); }
        sheet.appendChild(row);
      });
      holder.appendChild(sheet);
    }
    if (open) { holder.appendChild(logForm(session)); }
  }
  function field(id, label, input, help) {
    input.id = id;
    input.classList.add(input.type === "checkbox" ? "form-check-input" : "form-control");
    if (input.type === "checkbox") {
      return el("div", { class: "form-check mb-3" }, [input, el("label", { class: "form-check-label", for: id, text: label })]);
    }
    return el("div", { class: "mb-3" }, [
      el("label", { class: "form-label", for: id, text: label }), input,
      help ? el("div", { class: "form-text", text: help }) : null
    ]);
  }
  function logForm(session) {
    var form = el("form", { class: "form-narrow", novalidate: "" });
    var minutes = el("input", { type: "number", name: "duration_minutes", min: "1", max: "1440", value: String(session.minutes || "") });
    form.appendChild(el("h2", { class: "h5", text: T.log_title }));
    form.appendChild(field("offline-duration", T.duration, minutes));
    form.appendChild(field("offline-topics", T.topics, el("textarea", { name: "topics_covered", rows: "2" })));
    form.appendChild(field("offline-notes", T.notes, el("textarea", { name: "notes", rows: "2" }), T.notes_help));
    form.appendChild(field("offline-incident", T.incident, el("input", { type: "checkbox", name: "incident_flagged" })));
    form.appendChild(field("offline-incident-notes", T.incident_notes, el("textarea", { name: "incident_notes", rows: "2" })));
    form.appendChild(el("button", { type: "submit", class: "btn btn-primary btn-tap w-100", text: T.log_save }));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      queueLog(form, session.id);
    });
    return form;
  }

  // --- Start ---------------------------------------------------------------------------
  function register() {
    // After the first sync, so the worker's own requests do not compete with it.
    if (cfg.facilitator !== "1" || !navigator.serviceWorker) { return; }
    document.head.appendChild(el("link", { rel: "manifest", href: cfg.manifestUrl }));
    return navigator.serviceWorker.register(cfg.swUrl, { scope: "/" }).catch(function () {});
  }
  // Rosters are fetched from My sessions once the page has been left alone for a moment
  // (a person reading it, not passing through) and when what the phone keeps is older
  // than ten minutes: a small server is not asked for them on every click.
  var FRESH = 10 * 60 * 1000;
  var rostersWanted = false;
  function refreshLater() {
    setTimeout(function () {
      all("sessions").then(function (rows) {
        // Always which sessions the phone may keep; the rosters when they are old.
        rostersWanted = !rows.length || rows.some(function (r) { return r.savedAt < Date.now() - FRESH; });
        return sync();
      }).then(register);
    }, 2000);
  }
  function start() {
    claim().then(purgeOld).then(function () {
      if (cfg.shell === "1") { return renderShell().then(renderBanner); }
      return renderBanner().then(paintSheet);
    }).then(function () {
      return myQueue();
    }).then(function (queue) {
      if (cfg.shell === "1") { return sync(); }
      if (cfg.facilitator === "1") {
        if (location.pathname === cfg.homeUrl) { refreshLater(); }
        return queue.length ? sync() : null;
      }
      if (cfg.signedIn !== "1") {
        // A page from the server to someone not signed in (the sign-in page after a
        // time-out, a lost phone): no names stay; waiting taps (no names) wait for her.
        return Promise.all([clear("sessions"), clear("results")]).then(renderBanner);
      }
      // Not a facilitator here: no roster stays on the phone; a queue left from before is
      // still sent (the server refuses what this role may not change, with the reason).
      return clear("sessions").then(function () { return queue.length ? sync() : null; });
    });
    window.addEventListener("online", function () { sync(); });
    window.addEventListener("offline", function () { renderBanner(); });
  }
  // For tests and the measurement in docs/offline.md: what this phone keeps, in bytes.
  window.peersupportOffline = {
    // For a quick exit: the names go at once (rosters and answers); waiting taps, which
    // name nobody, stay to be sent later.
    hide: function () { return Promise.all([clear("sessions"), clear("results")]); },
    stored: function () {
      return Promise.all(STORES.map(all)).then(function (r) {
        var out = {};
        STORES.forEach(function (name, i) { out[name] = r[i]; });
        return out;
      });
    },
    sync: sync
  };
  start();
})();

// Small behaviours shared by every page. htmx does the rest.
document.addEventListener("htmx:responseError", function (event) {
  // Show the server's message beside the element that asked, never drop it silently.
  var target = event.detail.target;
  if (target && event.detail.xhr && event.detail.xhr.responseText) {
    target.setAttribute("data-error", "1");
  }
});

// Self-completion "one item per screen": show one question at a time, Next/Back between
// them; without JavaScript every question shows on one page and the form still works.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-one-per-screen]").forEach(function (form) {
    var items = Array.prototype.slice.call(form.querySelectorAll(".survey-item"));
    if (items.length < 2) { return; }
    var firstError = items.findIndex(function (item) { return item.querySelector("[role=alert]"); });
    var current = firstError >= 0 ? firstError : 0;
    function show(index) {
      current = Math.max(0, Math.min(items.length - 1, index));
      items.forEach(function (item, i) { item.classList.toggle("is-current", i === current); });
      form.classList.toggle("is-last", current === items.length - 1);
      var legend = items[current].querySelector("legend");
      if (legend) { legend.setAttribute("tabindex", "-1"); legend.focus(); }
    }
    form.classList.add("survey-stepping");
    form.addEventListener("click", function (event) {
      var step = event.target.closest("[data-step]");
      if (step) { show(current + parseInt(step.getAttribute("data-step"), 10)); }
    });
    show(current);
  });
});

// Attendance sheet (templates/sessions/attendance/_row.html): each row is a form that
// posts one tap; the row shows "saving…", then "saved", or why it was not saved, or
// "not saved — retry" with a retry button when the request failed. A tap is never
// dropped silently: the last tapped status stays in the row's hidden "status" input.
(function () {
  function rowOf(elt) {
    return elt && elt.closest ? elt.closest("[data-att-row]") : null;
  }
  function paint(row) {
    var saved = row.getAttribute("data-status") || "";
    var pending = row.getAttribute("data-pending") || "";
    row.querySelectorAll(".att-btn").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === saved ? "true" : "false");
      button.classList.toggle("is-pending", button.value === pending && pending !== saved);
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".att-btn") : null;
    var row = rowOf(button);
    if (!row) { return; }
    row.querySelector("input[name=status]").value = button.value;
    row.setAttribute("data-pending", button.value);
    paint(row);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = rowOf(event.detail.elt);
    if (row) {
      row.setAttribute("data-state", "saving");
      row.querySelector(".att-error").innerHTML = "";
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var row = rowOf(event.detail.elt);
    if (!row) { return; }
    if (event.detail.xhr.status >= 400) {
      // Refused (the reason is shown beside the row): the tap is not pending any more.
      row.setAttribute("data-pending", "");
      paint(row);
      return;
    }
    var marker = row.querySelector("[data-saved-status]");
    var saved = marker ? marker.getAttribute("data-saved-status") : "";
    row.setAttribute("data-status", saved);
    if (row.getAttribute("data-pending") === saved) { row.setAttribute("data-pending", ""); }
    row.setAttribute("data-state", "saved");
    paint(row);
  });
  function failed(event) {
    var row = rowOf(event.detail.elt);
    if (!row) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    row.setAttribute("data-state", status >= 400 && status < 500 ? "refused" : "failed");
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
  document.addEventListener("htmx:responseError", failed);
})();

// A refusal explained by the server (a 4xx response with "X-Error-Fragment") is shown:
// inside the element named by the requesting element's data-error-target, or its target.
document.addEventListener("htmx:beforeSwap", function (event) {
  var xhr = event.detail.xhr;
  if (xhr.status < 400 || xhr.status >= 500 || !xhr.getResponseHeader("X-Error-Fragment")) {
    return;
  }
  event.detail.shouldSwap = true;
  event.detail.isError = false;
  var elt = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
  var holder = elt && elt.closest ? elt.closest("[data-error-target]") : null;
  var where = holder ? holder.querySelector(holder.getAttribute("data-error-target")) : null;
  if (where) {
    event.detail.target = where;
    event.detail.swapOverride = "innerHTML";
  }
  var row = elt && elt.closest ? elt.closest("[data-att-row]") : null;
  if (row) { row.setAttribute("data-state", "error"); }
});

// Print buttons (no inline scripts).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});

// After a form comes back with errors, say so: the form-wide message is announced
// (role=alert) and the keyboard starts at that message or at the first field in error,
// unless the page has already put the focus somewhere.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("form .alert-danger");
  if (summary && !summary.hasAttribute("role")) { summary.setAttribute("role", "alert"); }
  var active = document.activeElement;
  if (active && active !== document.body) { return; }
  var target = summary || document.querySelector("form .is-invalid, form [aria-invalid=true]");
  if (!target) { return; }
  if (target === summary) { summary.setAttribute("tabindex", "-1"); }
  target.focus();
});

// Work that takes more than a moment (computing figures, building a file, checking a
// bundle): a form marked data-busy="<what is happening>" shows a spinner in the button
// that sent it, announces the text, and cannot be sent twice. A download leaves the page
// where it is, so the button comes back after a while (or when the page is shown again).
(function () {
  function reset(form) {
    form.classList.remove("is-busy");
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button.is-busy").forEach(function (button) {
      button.classList.remove("is-busy");
      button.disabled = false;
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute("data-busy")) { return; }
    if (form.classList.contains("is-busy")) { event.preventDefault(); return; }
    var button = event.submitter || form.querySelector("button:not([type=button])");
    form.classList.add("is-busy");
    form.setAttribute("aria-busy", "true");
    if (button) {
      button.classList.add("is-busy");
      // Disabled once the submission has taken the button's name and value.
      setTimeout(function () { button.disabled = true; }, 0);
    }
    var status = form.querySelector("[data-busy-status]");
    if (status) { status.textContent = form.getAttribute("data-busy"); }
    setTimeout(function () { reset(form); }, 20000);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.is-busy").forEach(reset);
  });
})();

// A table wider than the screen scrolls inside its box: keyboard users reach that box
// with Tab (and scroll it with the arrow keys) only when it is focusable, so it becomes
// a focusable, named region while it scrolls, and stops being one when it fits.
(function () {
  function label(box) {
    var table = box.querySelector("table");
    var caption = table && table.querySelector("caption");
    var section = box.closest("section");
    var heading = section && section.querySelector("h2, h3");
    var main = document.querySelector("main h1");
    var text = (caption || heading || main || {}).textContent || "";
    return text.trim();
  }
  function update() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) { box.setAttribute("aria-label", label(box)); }
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", update);
  document.addEventListener("htmx:afterSettle", update);
})();

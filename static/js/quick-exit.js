// Quick exit (templates/_quick_exit.html): the first control of every page, and Esc
// pressed twice within a second, replace the page with the neutral site the
// organisation chose. location.replace puts the neutral site in place of this page in
// the tab's history; going Back to another page of the app in this tab sends the
// person straight on to the neutral site again (sessionStorage remembers the exit until
// she opens the app normally). Someone signed in is signed out on the way. It cannot
// clear the browser's history list, nor hide
// anything from monitoring software: docs/privacy.md says so.
(function () {
  "use strict";
  var KEY = "peersupport.quickExit";
  var ESC_WINDOW_MS = 1000;
  var lastEscape = 0;

  function neutralUrl() {
    var link = document.querySelector("[data-quick-exit]");
    var url = link ? link.getAttribute("href") : "";
    return /^https:\/\//i.test(url || "") ? url : "https://www.google.com/";
  }

  // Signed in: end the session on the way out, so the app asks for the password again
  // if someone opens it on this device. sendBeacon survives the page being replaced.
  function signOut() {
    var link = document.querySelector("[data-quick-exit][data-sign-out]");
    if (!link || !navigator.sendBeacon) { return; }
    try {
      var form = new FormData();
      form.append("csrfmiddlewaretoken", link.getAttribute("data-csrf") || "");
      navigator.sendBeacon(link.getAttribute("data-sign-out"), form);
    } catch (e) { /* leave anyway */ }
  }

  function leave(url) {
    signOut();
    try { window.sessionStorage.setItem(KEY, url); } catch (e) { /* storage refused */ }
    document.documentElement.classList.add("quick-exiting");
    try { document.title = ""; } catch (e) { /* nothing to do */ }
    try {
      // Leave no address of the app in this history entry, even for an instant.
      window.history.replaceState(null, "", "/");
    } catch (e) { /* a browser may refuse */ }
    window.location.replace(url);
  }

  function cameBack(event) {
    if (event && event.persisted) { return true; }
    var entries = window.performance && window.performance.getEntriesByType
      ? window.performance.getEntriesByType("navigation") : [];
    return entries.length > 0 && entries[0].type === "back_forward";
  }

  // Coming Back to the app after a quick exit goes on to the neutral site again.
  function checkReturn(event) {
    var url = null;
    try { url = window.sessionStorage.getItem(KEY); } catch (e) { return; }
    if (!url) { return; }
    if (cameBack(event)) { leave(url); } else {
      try { window.sessionStorage.removeItem(KEY); } catch (e) { /* ignore */ }
    }
  }
  checkReturn(null);
  window.addEventListener("pageshow", function (event) { if (event.persisted) { checkReturn(event); } });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (!link) { return; }
    event.preventDefault();
    leave(neutralUrl());
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    if (now - lastEscape <= ESC_WINDOW_MS) {
      lastEscape = 0;
      leave(neutralUrl());
    } else {
      lastEscape = now;
    }
  });
}());

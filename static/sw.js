// peersupport's service worker: served at /sw.js by sessions/offline_views.py, which puts
// `const CONFIG = {...}` (the shell's address, the static files to keep, a version) above
// this file. It keeps only the page shell (a page with no data) and static files: pages
// themselves are never stored, whoever's they are. When a page cannot be fetched, the
// shell is shown and static/js/offline.js draws the facilitator's pages from what the
// phone keeps in IndexedDB (or says the page is not available offline).
/* global CONFIG */
"use strict";

var CACHE = "peersupport-shell-" + CONFIG.version;

// A weak connection drops requests: try each file a few times before giving up.
function keep(cache, url, tries) {
  // Without cookies: the shell is the same page for anyone, and nobody's session is used.
  return cache.add(new Request(url, { credentials: "omit", cache: "reload" }))
    .catch(function (error) {
      if (tries <= 1) { throw error; }
      return new Promise(function (resolve) { setTimeout(resolve, 500); })
        .then(function () { return keep(cache, url, tries - 1); });
    });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // One at a time: a small server is not asked for eight things at once.
      return [CONFIG.shell, CONFIG.manifest].concat(CONFIG.assets).reduce(function (done, url) {
        return done.then(function () { return keep(cache, url, 3); });
      }, Promise.resolve());
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("peersupport-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// The page script asks for this on sign-out: nothing the worker keeps is personal, but
// the shell is fetched again fresh at the next sign-in.
self.addEventListener("message", function (event) {
  if (event.data === "forget") {
    event.waitUntil(caches.delete(CACHE));
  }
});

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) { return cache.match(request); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") { return; }
  if (request.mode === "navigate") {
    // Always the network first: pages are never served from a store while online.
    event.respondWith(
      fetch(request).catch(function () {
        return fromCache(CONFIG.shell).then(function (shell) {
          return shell || Response.error();
        });
      })
    );
    return;
  }
  if (url.pathname.indexOf(CONFIG.static) === 0 || url.pathname === CONFIG.manifest) {
    // The network first here too (a file changed on the server is never stale); the kept
    // copy when there is none.
    event.respondWith(
      fetch(request).catch(function () {
        return fromCache(url.pathname).then(function (hit) { return hit || Response.error(); });
      })
    );
  }
});

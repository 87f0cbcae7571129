// The portal's service worker: keeps the login page and its script for offline use,
// cache first. This file is identical in every release (see login.service_worker):
// once installed it keeps serving the login page of the release it cached.
"use strict";
var CACHE = "portail-connexion";
var KEPT = ["/connexion", "/static/portail.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(KEPT); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.search || KEPT.indexOf(url.pathname) === -1) return;
  event.respondWith(
    caches.match(request, { ignoreVary: true }).then(function (hit) {
      return hit || fetch(request);
    })
  );
});

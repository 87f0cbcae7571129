// Login page behaviour that must live in a file (the CSP forbids inline scripts).
(function () {
  "use strict";
  var form = document.getElementById("login-form");

  // A login page restored by the service worker carries the CSRF token of the session
  // it was cached under; ask the portal for the current session's token.
  if (form && window.fetch) {
    fetch("/connexion/jeton", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && typeof data.csrf_token === "string") form.elements.csrf_token.value = data.csrf_token;
      })
      .catch(function () { /* keep the token the page came with */ });
  }

  if (document.body.dataset.serviceWorker === "on" && "serviceWorker" in navigator) {
    // Always the same script URL: a new release must not look like a new worker.
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
})();

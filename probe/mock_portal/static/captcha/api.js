// Mock CAPTCHA vendor: the script a portal page loads from captcha.localhost.
// It puts the vendor's iframe into #captcha and copies the token the iframe sends
// (postMessage, origin-checked) into the form's hidden #captcha-token field.
(function () {
  "use strict";
  var script = document.currentScript;
  var vendorOrigin = new URL(script.src).origin;

  function mount(container) {
    var form = container.closest("form");
    var field = form ? form.querySelector("input[name=captcha_token]") : null;
    var iframe = document.createElement("iframe");
    var query = new URLSearchParams({
      sitekey: container.dataset.sitekey || "",
      parent: window.location.origin,
    });
    iframe.src = vendorOrigin + "/widget?" + query.toString();
    iframe.title = "Vérification anti-robot";
    iframe.className = "captcha-frame";
    iframe.width = "320";
    iframe.height = "74";
    container.dataset.state = "loading";
    iframe.addEventListener("load", function () {
      if (container.dataset.state === "loading") container.dataset.state = "ready";
    });

    window.addEventListener("message", function (event) {
      // Only our own iframe, served from the vendor's origin, may hand over a token.
      if (event.origin !== vendorOrigin || event.source !== iframe.contentWindow) return;
      var data = event.data || {};
      if (data.type === "captcha-token" && typeof data.token === "string") {
        if (field) field.value = data.token;
        container.dataset.state = "verified";
      } else if (data.type === "captcha-failed") {
        if (field) field.value = "";
        container.dataset.state = "failed";
      } else if (data.type === "captcha-expired") {
        if (field) field.value = "";
        container.dataset.state = "expired";
      } else if (data.type === "captcha-busy") {
        container.dataset.state = "checking";
      }
    });
    container.appendChild(iframe);
  }

  function start() {
    var containers = document.querySelectorAll("[data-captcha-widget]");
    for (var i = 0; i < containers.length; i++) mount(containers[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

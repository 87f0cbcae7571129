// Mock CAPTCHA vendor: the checkbox inside the iframe. It talks only to its own
// origin, without cookies, and posts the result to the registered parent origin.
(function () {
  "use strict";
  var root = document.getElementById("captcha-widget");
  var parentOrigin = root.dataset.parent;
  var siteKey = root.dataset.sitekey;
  var checkbox = document.getElementById("captcha-checkbox");
  var verifyButton = document.getElementById("captcha-verify");
  var statusLine = document.getElementById("captcha-status");
  var spinner = document.getElementById("captcha-spinner");
  var expiry = null;

  function tell(message) {
    if (window.parent !== window && parentOrigin) window.parent.postMessage(message, parentOrigin);
  }

  function show(state, text) {
    root.dataset.state = state;
    statusLine.textContent = text;
    spinner.hidden = state !== "checking";
  }

  function ask(extra) {
    var body = { sitekey: siteKey, parent: parentOrigin };
    for (var key in extra) body[key] = extra[key];
    return fetch("/api/verify", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function failed() {
    show("failed", "Échec de la vérification");
    checkbox.checked = false;
    checkbox.disabled = false;
    verifyButton.hidden = true;
    tell({ type: "captcha-failed" });
  }

  function handle(answer) {
    if (answer.result === "pass") {
      show("verified", "Vérification réussie");
      verifyButton.hidden = true;
      tell({ type: "captcha-token", token: answer.token });
      clearTimeout(expiry);
      expiry = setTimeout(function () {
        show("expired", "Vérification expirée : cochez à nouveau");
        checkbox.checked = false;
        checkbox.disabled = false;
        tell({ type: "captcha-expired" });
      }, answer.ttl * 1000);
    } else if (answer.result === "challenge") {
      show("challenge", "Cliquez sur « Vérifier »");
      verifyButton.hidden = false;
      verifyButton.onclick = function () {
        verifyButton.disabled = true;
        show("checking", "Vérification…");
        ask({ challenge: answer.challenge }).then(handle, failed).finally(function () {
          verifyButton.disabled = false;
        });
      };
    } else if (answer.result === "pending") {
      // Turnstile's "never completes" test key: the spinner simply keeps turning.
      show("checking", "Vérification…");
    } else {
      failed();
    }
  }

  checkbox.addEventListener("change", function () {
    if (!checkbox.checked) return;
    checkbox.disabled = true;
    show("checking", "Vérification…");
    tell({ type: "captcha-busy" });
    ask({}).then(handle, failed);
  });
})();

// This portal's addition to allauth's stock sign-in page: the form is sent with fetch() to
// allauth's own headless JSON login, as a single-page app does, and the answer is shown in
// the page without a navigation. Without JavaScript the stock form posts as usual and the
// server refuses it, because the CAPTCHA could not run.
"use strict";

const LOGIN_API = "/_allauth/browser/v1/auth/login";
const form = document.querySelector('form[action="/accounts/login/"]');

function showMessages(area, texts) {
  area.replaceChildren(
    ...texts.map((text) => {
      const line = document.createElement("p");
      line.textContent = text;
      return line;
    }),
  );
}

function showSignedIn(user) {
  const marker = document.createElement("p");
  marker.id = "signed-in";
  marker.dataset.username = user.username;
  marker.textContent = `You are signed in as ${user.username}.`;
  form.replaceWith(marker);
}

if (form) {
  const area = document.createElement("div");
  area.id = "login-messages";
  area.setAttribute("role", "alert");
  form.prepend(area);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    showMessages(area, []);
    try {
      const response = await fetch(LOGIN_API, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": String(fields.get("csrfmiddlewaretoken") || ""),
        },
        body: JSON.stringify({
          username: fields.get("login"),
          password: fields.get("password"),
          altcha: fields.get("altcha") || "",
        }),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.meta && answer.meta.is_authenticated) {
        showSignedIn(answer.data.user);
        return;
      }
      const errors = (answer.errors || []).map((error) => error.message);
      showMessages(
        area,
        errors.length ? errors : [`The server could not sign you in (status ${response.status}). Try again later.`],
      );
    } catch (error) {
      showMessages(area, ["The server could not be reached. Check your connection and try again."]);
    } finally {
      button.disabled = false;
      // A solved CAPTCHA is good for one attempt: the person solves it again.
      const widget = form.querySelector("altcha-widget");
      if (widget && typeof widget.reset === "function" && document.body.contains(widget)) {
        widget.reset();
      }
    }
  });
}

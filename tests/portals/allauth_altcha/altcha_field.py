"""The only server-side addition to allauth: an ALTCHA field on its login form, checked once.

allauth lets a site swap its login form (``ACCOUNT_FORMS``) and its adapter
(``ACCOUNT_ADAPTER``); both are documented hooks. The widget renders ALTCHA's
``<altcha-widget>`` web component in the page (no iframe), with its script from the CAPTCHA
host. The check sits in the adapter's ``pre_authenticate``, which allauth calls before every
password check, so the stock form view and the headless JSON login both refuse an unsolved
CAPTCHA with the same English message.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .captcha import payload_is_valid

CAPTCHA_REFUSED = (
    "The CAPTCHA was not solved. Tick \u201cI'm not a robot\u201d, wait for the check mark, "
    "then sign in again."
)


class AltchaWidget(forms.Widget):
    template_name = "portal2/altcha_widget.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        origin = str(getattr(settings, "PORTAL2_CAPTCHA_ORIGIN", ""))
        context["challenge_url"] = f"{origin}/challenge"
        context["script_url"] = f"{origin}/altcha.js"
        return context


class AltchaLoginForm(LoginForm):  # type: ignore[misc]  # allauth is untyped (Any)
    """allauth's stock login form plus the CAPTCHA widget."""

    altcha = forms.CharField(required=False, label="", widget=AltchaWidget)


def _captcha_payload(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        return str(data.get("altcha") or "") if isinstance(data, dict) else ""
    return str(request.POST.get("altcha", ""))


class AltchaAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth is untyped
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        if not payload_is_valid(_captcha_payload(request)):
            raise ValidationError(CAPTCHA_REFUSED, code="captcha_invalid")
        super().pre_authenticate(request, **credentials)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # One demo account is all the tests need; allauth shows its stock "closed" page.
        return False

"""Django settings for the second test portal: stock django-allauth, headless API on.

Django keeps one configuration per process, so the portal configures it once
(:func:`configure`) and later starts only reset the data (see ``server.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PACKAGE = __package__ or "tests.portals.allauth_altcha"

APP_HOST = "app2.localhost"
CAPTCHA_HOST = "captcha2.localhost"


def settings_for(database: Path) -> dict[str, Any]:
    """Everything Django needs; every value not listed here is Django's or allauth's default."""
    return {
        "DEBUG": False,
        "SECRET_KEY": "portal2-test-only-django-secret",
        "ALLOWED_HOSTS": [APP_HOST, "127.0.0.1", "localhost"],
        "ROOT_URLCONF": f"{PACKAGE}.urls",
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.forms",
            "allauth",
            "allauth.account",
            "allauth.headless",
        ],
        "MIDDLEWARE": [
            f"{PACKAGE}.recording.RecordLoginsMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "allauth.account.middleware.AccountMiddleware",
        ],
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                # Our folder first: it overrides allauth's two-line entrance layout only.
                "DIRS": [HERE / "templates"],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        # Widgets render through TEMPLATES, so the ALTCHA widget's template is found in DIRS.
        "FORM_RENDERER": "django.forms.renderers.TemplatesSetting",
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        "AUTHENTICATION_BACKENDS": [
            "django.contrib.auth.backends.ModelBackend",
            "allauth.account.auth_backends.AuthenticationBackend",
        ],
        # Fast hashing: a test double, not a place to keep real passwords.
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "LANGUAGE_CODE": "en-us",
        "USE_I18N": True,
        "USE_TZ": True,
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "LOGIN_REDIRECT_URL": "/accounts/profile/",
        "ACCOUNT_LOGIN_METHODS": {"username"},
        "ACCOUNT_SIGNUP_FIELDS": ["username*", "password1*", "password2*"],
        "ACCOUNT_EMAIL_VERIFICATION": "none",
        "ACCOUNT_FORMS": {"login": f"{PACKAGE}.altcha_field.AltchaLoginForm"},
        "ACCOUNT_ADAPTER": f"{PACKAGE}.altcha_field.AltchaAccountAdapter",
        "HEADLESS_CLIENTS": ("browser",),
        "LOGGING_CONFIG": None,
    }

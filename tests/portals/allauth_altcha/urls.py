"""URLs: allauth's stock pages and headless API, plus this portal's two small views."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("accounts/profile/", views.profile, name="profile"),
    path("_allauth/", include("allauth.headless.urls")),
    path("portal2/login.js", views.login_script, name="portal2-login-script"),
]

"""Plain-language names, in French and English, for the words of the diagnosis.

The engine speaks in identifiers (``no-extensions``, ``captcha-blocked``); a person
locked out of their account needs a sentence. Each entry is an ``(en, fr)`` pair.
"""

from __future__ import annotations

import re

from probe.models import Lang

STEPS: dict[str, tuple[str, str]] = {
    "open-login": ("Open the login page", "Ouverture de la page de connexion"),
    "captcha": ("“I am not a robot” check", "Case « Je ne suis pas un robot »"),
    "credentials": ("Identifier and password", "Identifiant et mot de passe"),
    "second-factor": ("Security code", "Code de sécurité"),
    "account-home": ("Account home page", "Page d'accueil du compte"),
    "attestation": ("Download a certificate", "Téléchargement d'une attestation"),
}

# name -> (label en, label fr, explanation en, explanation fr)
VARIANTS: dict[str, tuple[str, str, str, str]] = {
    "current": (
        "Your browser as it is",
        "Votre navigateur tel quel",
        "With all your extensions, settings, cookies and saved data.",
        "Avec toutes vos extensions, vos réglages, vos cookies et vos données.",
    ),
    "private": (
        "Private window",
        "Fenêtre de navigation privée",
        "Like a private window: no cookies or saved data, and extensions off.",
        "Comme une fenêtre privée : ni cookies ni données enregistrées, extensions coupées.",
    ),
    "no-extensions": (
        "Without extensions",
        "Sans extensions",
        "Your browser with every extension turned off.",
        "Votre navigateur avec toutes les extensions désactivées.",
    ),
    "cookies-cleared": (
        "Cookies cleared",
        "Cookies effacés",
        "Your browser after deleting its cookies.",
        "Votre navigateur après suppression de ses cookies.",
    ),
    "site-data-cleared": (
        "Saved site data cleared",
        "Données de site effacées",
        "Your browser after deleting cookies, cache and other data kept by websites.",
        "Votre navigateur après suppression des cookies, du cache et des autres données "
        "gardées par les sites.",
    ),
    "settings-reset": (
        "Settings back to default",
        "Réglages par défaut",
        "Your browser with its settings put back as they were at installation.",
        "Votre navigateur avec ses réglages remis comme à l'installation.",
    ),
    "fresh": (
        "A brand-new profile",
        "Un profil tout neuf",
        "A browser that has never been used: nothing of yours at all.",
        "Un navigateur jamais utilisé : rien qui vienne de vous.",
    ),
    "credentials-normalized": (
        "Credentials without stray spaces",
        "Identifiants sans espaces parasites",
        "The same identifier and password, with spaces at the start or end removed.",
        "Les mêmes identifiant et mot de passe, sans espace au début ni à la fin.",
    ),
}

_DRILL = re.compile(r"drill-(\d+)")

SYMPTOMS: dict[str, tuple[str, str]] = {
    "none": ("no problem", "aucun problème"),
    "portal-unreachable": ("the portal could not be reached", "le portail était injoignable"),
    "maintenance": (
        "the portal said it is temporarily unavailable",
        "le portail s'est dit momentanément indisponible",
    ),
    "rate-limited": ("the portal refused too many attempts", "le portail a refusé trop d'essais"),
    "headers-too-large": (
        "the browser sent too many cookies for the portal to accept",
        "le navigateur a envoyé trop de cookies pour le portail",
    ),
    "page-error": ("the portal showed an error page", "le portail a affiché une page d'erreur"),
    "login-form-missing": ("the login form did not appear", "le formulaire n'est pas apparu"),
    "javascript-disabled": ("JavaScript is turned off", "JavaScript est désactivé"),
    "captcha-blocked": (
        "the security check was blocked inside the browser",
        "la vérification anti-robot a été bloquée dans le navigateur",
    ),
    "captcha-missing": (
        "the security check never appeared",
        "la vérification anti-robot n'est jamais apparue",
    ),
    "captcha-never-completes": (
        "the security check never finished",
        "la vérification anti-robot ne s'est jamais terminée",
    ),
    "captcha-rejected": (
        "the security check was refused",
        "la vérification anti-robot a été refusée",
    ),
    "form-broken": (
        "the form could not be filled in or sent",
        "le formulaire n'a pas pu être rempli ou envoyé",
    ),
    "cookies-refused": (
        "the portal says the browser refuses its cookies",
        "le portail indique que le navigateur refuse ses cookies",
    ),
    "invalid-credentials": (
        "the identifier or password was refused",
        "l'identifiant ou le mot de passe a été refusé",
    ),
    "account-locked": ("the account is locked", "le compte est verrouillé"),
    "rights-not-open": (
        "the insurance rights are not open yet",
        "les droits ne sont pas encore ouverts",
    ),
    "stale-provisional-code": (
        "an old provisional code was used",
        "un ancien code provisoire a été utilisé",
    ),
    "security-code-undelivered": (
        "the security code never arrived",
        "le code de sécurité n'est jamais arrivé",
    ),
    "security-code-expired": ("the security code had expired", "le code de sécurité avait expiré"),
    "security-code-rejected": (
        "the security code was refused",
        "le code de sécurité a été refusé",
    ),
    "stale-form": (
        "the page was out of date when it was sent",
        "la page était périmée au moment de l'envoi",
    ),
    "identity-provider-error": (
        "the FranceConnect login failed",
        "la connexion par FranceConnect a échoué",
    ),
    "download-failed": ("the download did not work", "le téléchargement n'a pas fonctionné"),
    "timeout": ("the page took too long to answer", "la page a mis trop de temps à répondre"),
    "browser-crashed": ("the browser stopped working", "le navigateur s'est arrêté"),
}

FACTORS: dict[str, tuple[str, str]] = {
    "none": ("nothing is blocking", "rien ne bloque"),
    "extension": ("a browser extension", "une extension du navigateur"),
    "cookies": ("cookies kept by the browser", "des cookies gardés par le navigateur"),
    "site-data": ("data saved by the portal's site", "des données enregistrées par le site"),
    "browser-setting": ("a browser setting", "un réglage du navigateur"),
    "credentials": ("the way the credentials are typed", "la saisie des identifiants"),
    "maintenance": ("the portal is under maintenance", "le portail est en maintenance"),
    "account-locked": ("the account is locked", "le compte est verrouillé"),
    "rate-limited": ("too many attempts in a short time", "trop d'essais en peu de temps"),
    "invalid-credentials": (
        "the identifier or password is wrong",
        "l'identifiant ou le mot de passe est faux",
    ),
    "stale-provisional-code": ("an out-of-date provisional code", "un code provisoire périmé"),
    "security-code-undelivered": (
        "the security code does not arrive",
        "le code de sécurité n'arrive pas",
    ),
    "security-code-expired": ("the security code expires", "le code de sécurité expire"),
    "rights-not-open": ("insurance rights not yet open", "des droits pas encore ouverts"),
    "identity-provider": ("the FranceConnect partner", "le partenaire FranceConnect"),
    "captcha-provider": (
        "the service behind the “I am not a robot” check",
        "le service de la vérification anti-robot",
    ),
    "unknown": ("not identified", "non identifiée"),
}

OUTCOMES: dict[str, tuple[str, str]] = {
    "pass": ("passed", "réussie"),
    "fail": ("failed", "échouée"),
    "skipped": ("not tried", "non tentée"),
    "not-reached": ("not reached", "non atteinte"),
    "not-needed": ("not needed", "sans objet"),
}

CULPRIT_KINDS: dict[str, tuple[str, str]] = {
    "extension": ("Extension", "Extension"),
    "cookie": ("Cookie", "Cookie"),
    "setting": ("Setting", "Réglage"),
    "site-data": ("Saved site data", "Données de site"),
    "credential": ("Credential", "Identifiant"),
}

CREDENTIAL_FIELDS: dict[str, tuple[str, str]] = {
    "identifier": ("Identifier", "Identifiant"),
    "password": ("Password", "Mot de passe"),
}

CREDENTIAL_ISSUES: dict[str, tuple[str, str]] = {
    "leading-space": ("a space before the text", "un espace avant le texte"),
    "trailing-space": ("a space after the text", "un espace après le texte"),
    "caps-lock": ("typed with Caps Lock on", "saisi en majuscules verrouillées"),
    "look-alike": (
        "characters that look alike (such as O and 0)",
        "des caractères qui se ressemblent (comme O et 0)",
    ),
}

PROFILE_KINDS: dict[str, tuple[str, str]] = {
    "given": ("the profile folder given", "le dossier de profil indiqué"),
    "default-chromium": ("your usual Chromium profile", "votre profil Chromium habituel"),
    "default-chrome": ("your usual Chrome profile", "votre profil Chrome habituel"),
    "fresh": ("a brand-new profile", "un profil tout neuf"),
    "recipe": ("a profile built from a recipe", "un profil construit d'après une recette"),
}


def pick(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    """The label of ``key`` in ``lang``; an unknown key is shown as it is."""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "fr" else pair[0]


def step_label(name: str, lang: Lang) -> str:
    return pick(STEPS, name, lang)


def is_drill(name: str) -> bool:
    """Whether ``name`` is a narrowing-down run (``drill-3``)."""
    return _DRILL.fullmatch(name) is not None


def variant_label(name: str, lang: Lang, description: str = "") -> tuple[str, str]:
    """``(label, explanation)`` for a run name such as ``no-extensions`` or ``drill-3``."""
    known = VARIANTS.get(name)
    if known is not None:
        en_label, fr_label, en_why, fr_why = known
        return (fr_label, fr_why) if lang == "fr" else (en_label, en_why)
    drill = _DRILL.fullmatch(name)
    if drill is not None:
        number = drill.group(1)
        if lang == "fr":
            return f"Recherche de la cause : essai {number}", description
        return f"Narrowing down: run {number}", description
    return name, description

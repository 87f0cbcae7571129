"""What to tell the person: one sentence per verdict, and the steps that fix it.

Remedies follow the order the domain reference recommends: the obvious first (what was
typed), then the technical checks (maintenance, cookies and cache, extensions, another
browser, private window), then the support line. Every sentence is probe's own and
speaks of "the portal"; a portal's description may give its own text for a remedy (who
to call, what to have at hand), see ``probe/diagnosis/portal_remedies.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from probe.models import CookieGroup, Culprit, Evidence, Factor, Remedy, Status

SUPPORT = Remedy(
    id="call-support",
    en="Contact the portal's support, with your identifier at hand.",
    fr="Contactez l'assistance du portail, avec votre identifiant sous la main.",
)
OTHER_BROWSER = Remedy(
    id="other-browser",
    en="Try another browser or another device.",
    fr="Essayez un autre navigateur ou un autre appareil.",
)
PRIVATE = Remedy(
    id="private-window",
    en="Open a private window and log in from there.",
    fr="Ouvrez une fenêtre de navigation privée et connectez-vous depuis celle-ci.",
)
FEDERATION = Remedy(
    id="federation",
    en="Log in through the portal's other way in instead (an account you have elsewhere that it trusts).",
    fr="Connectez-vous plutôt par l'autre accès du portail (un compte que vous avez ailleurs et qu'il accepte).",
)
RETRY_LATER = Remedy(
    id="retry-later",
    en="Wait and try again later, preferably outside busy hours (early morning or evening).",
    fr="Patientez puis réessayez plus tard, de préférence en heures creuses (tôt le matin ou le soir).",
)


# What French calls the components whose names probe itself gives (English in the model).
FR_NAMES: dict[str, str] = {
    "site-data": "Données de site et cache",
    "javascript": "JavaScript bloqué",
    "cookies": "Tous les cookies bloqués",
    "third-party-cookies": "Cookies tiers bloqués",
    "proxy": "Un serveur proxy est réglé dans le navigateur",
    "identifier": "l'identifiant, saisi avec un espace en trop",
    "password": "le mot de passe, saisi avec un espace en trop",
}


def _names(culprits: Sequence[Culprit], limit: int = 3, lang: str = "en") -> str:
    def shown(c: Culprit) -> str:
        if lang == "fr" and c.kind in ("setting", "site-data", "credential"):
            return FR_NAMES.get(c.id, c.name)
        return c.name

    quoted = [f"'{shown(c)}'" for c in culprits]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" (+{len(quoted) - limit})"
    return ", ".join(quoted[:-1]) + " + " + quoted[-1]


def _size(total_bytes: int) -> tuple[str, str]:
    if total_bytes < 1024:
        return f"{total_bytes} bytes", f"{total_bytes} octets"
    kib = f"{total_bytes / 1024:.1f}"
    return f"{kib} KiB", f"{kib.replace('.', ',')} Kio"


def _shown_url(url: str) -> str:
    """``captcha.localhost/api.js``: what a person recognises of a URL (no scheme, no port)."""
    rest = url.partition("://")[2] or url
    host, _, path = rest.partition("/")
    return host.partition(":")[0] + ("/" + path if path else "")


def evidence_sentences(evidence: Sequence[Evidence]) -> tuple[list[str], list[str]]:
    """What the browser caught each extension doing, one sentence each, in English and French."""
    en: list[str] = []
    fr: list[str] = []
    for item in evidence:
        url = _shown_url(item.url)
        if item.kind == "blocks-request":
            en.append(f"{item.name} has a rule that blocks {url}.")
            fr.append(f"{item.name} a une règle qui bloque {url}.")
        elif item.kind == "injects-css":
            en.append(f"{item.name} adds its own styles to {url}.")
            fr.append(f"{item.name} ajoute ses propres styles à {url}.")
        else:
            en.append(f"{item.name} runs its own scripts in {url}.")
            fr.append(f"{item.name} exécute ses propres scripts dans {url}.")
    return list(dict.fromkeys(en)), list(dict.fromkeys(fr))


def summary(
    status: Status,
    factor: Factor,
    culprits: Sequence[Culprit],
    symptom_note: str = "",
    *,
    cookies: CookieGroup | None = None,
    evidence: Sequence[Evidence] = (),
) -> tuple[str, str]:
    """The verdict in one plain sentence (and what the browser showed), in English and French."""
    en, fr = _summary(status, factor, culprits, symptom_note, cookies)
    seen_en, seen_fr = evidence_sentences(evidence)
    if seen_en:
        en = " ".join([en, *seen_en])
        fr = " ".join([fr, *seen_fr])
    return en, fr


def _summary(
    status: Status,
    factor: Factor,
    culprits: Sequence[Culprit],
    symptom_note: str,
    cookies: CookieGroup | None,
) -> tuple[str, str]:
    names = _names(culprits)
    names_fr = _names(culprits, lang="fr")
    many = len(culprits) > 1
    match factor:
        case "none" if symptom_note == "no-submit":
            return (
                "Nothing in this browser blocks the login page or its security check; the credentials were not sent (--no-submit), so the login itself was not tried.",
                "Rien dans ce navigateur ne bloque la page de connexion ni sa vérification anti-robot ; les identifiants n'ont pas été envoyés (--no-submit), la connexion elle-même n'a donc pas été essayée.",
            )
        case "none":
            return (
                "Access works: the whole login, down to the last check after it, succeeded.",
                "L'accès fonctionne : la connexion complète, jusqu'à la dernière vérification, a réussi.",
            )
        case "extension":
            what_en = symptom_note or "stops the login from working"
            what_fr = {
                "stops the security check from appearing": "empêche la vérification anti-robot de s'afficher",
                "breaks the login form": "casse le formulaire de connexion",
            }.get(symptom_note, "empêche la connexion")
            if many:
                return (
                    f"Together, the extensions {names} {what_en.replace('stops', 'stop').replace('breaks', 'break')}.",
                    f"Ensemble, les extensions {names_fr} {what_fr.replace('empêche', 'empêchent').replace('casse', 'cassent')}.",
                )
            return (f"An extension, {names}, {what_en}.", f"Une extension, {names_fr}, {what_fr}.")
        case "cookies" if symptom_note == "headers-too-large" and cookies is not None:
            count = cookies.count
            size_en, size_fr = _size(cookies.total_bytes) if cookies.total_bytes else ("", "")
            amount_en = f"{count} cookies for {cookies.host}" + (
                f", {size_en} in all" if size_en else ""
            )
            amount_fr = f"{count} cookies pour {cookies.host}" + (
                f", {size_fr} en tout" if size_fr else ""
            )
            return (
                f"The browser sends {amount_en}: too much for the portal (HTTP 431). With them gone the portal answers.",
                f"Le navigateur envoie {amount_fr} : trop pour le portail (HTTP 431). Sans eux, le portail répond.",
            )
        case "cookies" if symptom_note == "headers-too-large":
            return (
                f"Too many or too large cookies stored for the portal ({names}) make the browser's requests too big for it; clearing them fixes it.",
                f"Des cookies trop nombreux ou trop gros enregistrés pour le portail ({names_fr}) rendent les requêtes du navigateur trop volumineuses ; les effacer règle le problème.",
            )
        case "cookies":
            return (
                f"Cookies stored for the portal ({names}) block the login; clearing them fixes it.",
                f"Des cookies enregistrés pour le portail ({names_fr}) bloquent la connexion ; les effacer règle le problème.",
            )
        case "site-data":
            return (
                "Outdated data the portal left in this browser (an old version of its pages) blocks the login.",
                "Des données périmées laissées par le portail dans ce navigateur (une ancienne version de ses pages) bloquent la connexion.",
            )
        case "browser-setting":
            return (
                f"A browser setting, {names}, blocks the login.",
                f"Un réglage du navigateur, {names_fr}, bloque la connexion.",
            )
        case "credentials":
            return (
                f"What was typed has a hidden slip ({names}); typed cleanly, the login works.",
                f"La saisie contient une erreur invisible ({names_fr}) ; saisis proprement, les identifiants fonctionnent.",
            )
        case "maintenance":
            return (
                "The portal is down for maintenance or overloaded: nothing is wrong with your browser.",
                "Le portail est en maintenance ou surchargé : votre navigateur n'y est pour rien.",
            )
        case "rate-limited":
            return (
                "The portal is refusing requests for a while because too many came from this connection.",
                "Le portail refuse temporairement les demandes : trop de requêtes sont venues de cette connexion.",
            )
        case "account-locked":
            return (
                "The account is locked after too many failed attempts.",
                "Le compte est verrouillé après trop de tentatives infructueuses.",
            )
        case "invalid-credentials" if symptom_note == "later":
            return (
                "Past that, the portal does not accept this identifier and password.",
                "Ensuite, le portail refuse cet identifiant et ce mot de passe.",
            )
        case "invalid-credentials":
            return (
                "The portal does not accept this identifier and password, in every browser set-up.",
                "Le portail refuse cet identifiant et ce mot de passe, quel que soit le réglage du navigateur.",
            )
        case "stale-provisional-code":
            return (
                "The provisional code used is not the latest one: only the most recent code works.",
                "Le code provisoire utilisé n'est pas le dernier reçu : seul le plus récent fonctionne.",
            )
        case "security-code-undelivered":
            return (
                "The security code never arrived"
                + (" in the inbox: it went to spam." if "spam" in symptom_note else "."),
                "Le code de sécurité n'est jamais arrivé"
                + (
                    " dans la boîte de réception : il est dans les spams."
                    if "spam" in symptom_note
                    else "."
                ),
            )
        case "security-code-expired":
            return (
                "The security code had expired by the time it was entered.",
                "Le code de sécurité avait expiré au moment de sa saisie.",
            )
        case "rights-not-open":
            return (
                "The account cannot be used yet: its rights are not open (the file is still being processed).",
                "Le compte n'est pas encore utilisable : ses droits ne sont pas ouverts (dossier en cours de traitement).",
            )
        case "identity-provider":
            return (
                "The login through the identity federation fails at the chosen partner, whatever the browser set-up.",
                "La connexion par la fédération d'identité échoue chez le partenaire choisi, quel que soit le réglage du navigateur.",
            )
        case "captcha-provider":
            return (
                "The security check never completes, even in a brand-new browser: the check itself is failing.",
                "La vérification anti-robot n'aboutit jamais, même dans un navigateur neuf : c'est la vérification elle-même qui est en panne.",
            )
        case "unknown" if symptom_note == "browser-crashed":
            return (
                "Chromium stopped in the middle of a run, so probe cannot conclude; run it again.",
                "Chromium s'est arrêté en pleine exécution : probe ne peut pas conclure ; relancez-le.",
            )
        case "unknown" if symptom_note == "runs-stopped":
            return (
                "Login fails, and the runs that could tell why were stopped before logging in (each says why in the report), so probe cannot conclude.",
                "La connexion échoue, et les essais qui pourraient dire pourquoi ont été arrêtés avant de se connecter (chacun dit pourquoi dans le rapport) : probe ne peut pas conclure.",
            )
        case "unknown":
            return (
                "Login fails, and no single change of browser set-up explains why.",
                "La connexion échoue, et aucun changement de réglage du navigateur ne l'explique.",
            )


def _r(rid: str, en: str, fr: str) -> Remedy:
    return Remedy(id=rid, en=en, fr=fr)


def remedies(
    factor: Factor, culprits: Sequence[Culprit], symptom_note: str = ""
) -> tuple[list[Remedy], list[Remedy]]:
    """The steps to take, in order, then what to do if they do not work."""
    names = _names(culprits)
    names_fr = _names(culprits, lang="fr")
    match factor:
        case "none":
            return [], [SUPPORT]
        case "extension":
            return [
                _r(
                    "disable-extension",
                    f"Turn off the extension {names} (menu > Extensions > Manage extensions), then reload the login page.",
                    f"Désactivez l'extension {names_fr} (menu > Extensions > Gérer les extensions), puis rechargez la page de connexion.",
                ),
                _r(
                    "allow-portal",
                    "If you want to keep it, allow the portal's site in the extension's settings.",
                    "Si vous souhaitez la garder, autorisez le site du portail dans les réglages de l'extension.",
                ),
            ], [PRIVATE, OTHER_BROWSER, SUPPORT]
        case "cookies":
            return [
                _r(
                    "clear-cookies",
                    "Delete the cookies of the portal's site (padlock icon in the address bar > Cookies and site data), then reload.",
                    "Supprimez les cookies du site du portail (icône du cadenas dans la barre d'adresse > Cookies et données de site), puis rechargez.",
                ),
            ], [PRIVATE, OTHER_BROWSER, SUPPORT]
        case "site-data":
            return [
                _r(
                    "clear-site-data",
                    "Clear the portal's site data and cache (Settings > Privacy > Delete browsing data, 'Cached images and files' and 'Cookies and site data'), then reload.",
                    "Effacez les données et le cache du site du portail (Paramètres > Confidentialité > Effacer les données de navigation, « Images et fichiers en cache » et « Cookies et données de site »), puis rechargez.",
                ),
            ], [PRIVATE, OTHER_BROWSER, SUPPORT]
        case "browser-setting":
            return [
                _r(
                    "restore-setting",
                    f"Restore the setting {names} for the portal's site (Settings > Privacy and security > Site settings), then reload.",
                    f"Rétablissez le réglage {names_fr} pour le site du portail (Paramètres > Confidentialité et sécurité > Paramètres des sites), puis rechargez.",
                ),
            ], [OTHER_BROWSER, SUPPORT]
        case "credentials":
            return [
                _r(
                    "retype",
                    "Type the identifier and password by hand instead of pasting them, without spaces before or after, and check Caps Lock.",
                    "Tapez l'identifiant et le mot de passe à la main plutôt que de les coller, sans espace avant ni après, et vérifiez la touche Verr. Maj.",
                ),
            ], [
                _r(
                    "reset-password",
                    "Use 'Forgotten password' to choose a new one.",
                    "Utilisez « Mot de passe oublié » pour en choisir un nouveau.",
                ),
                SUPPORT,
            ]
        case "invalid-credentials":
            return [
                _r(
                    "retype-carefully",
                    "Retype the identifier and the password carefully; check Caps Lock and the number pad.",
                    "Ressaisissez soigneusement l'identifiant et le mot de passe ; vérifiez Verr. Maj. et le pavé numérique.",
                ),
                _r(
                    "reset-password",
                    "Use 'Forgotten password' to receive a code and choose a new password.",
                    "Utilisez « Mot de passe oublié » pour recevoir un code et choisir un nouveau mot de passe.",
                ),
                FEDERATION,
            ], [SUPPORT]
        case "account-locked":
            return [
                _r(
                    "unlock-by-phone",
                    "Call the portal's support: after checking your identity, they can unlock the account.",
                    "Appelez l'assistance du portail : après vérification de votre identité, elle peut déverrouiller le compte.",
                ),
                _r(
                    "unlock-code",
                    "Enter the unlock code on the portal, then change your password.",
                    "Saisissez le code de déverrouillage sur le portail, puis changez votre mot de passe.",
                ),
            ], [FEDERATION, SUPPORT]
        case "maintenance":
            return [
                RETRY_LATER,
                OTHER_BROWSER,
                _r(
                    "clear-cache",
                    "If it persists once the service is back, clear the browser's cache.",
                    "Si le problème persiste après le retour du service, videz le cache du navigateur.",
                ),
            ], [SUPPORT]
        case "rate-limited":
            return [
                _r(
                    "wait",
                    "Stop retrying for a few minutes, then try once.",
                    "Arrêtez d'essayer quelques minutes, puis réessayez une seule fois.",
                ),
                _r(
                    "other-network",
                    "If it goes on, try from another network (e.g. your phone's connection).",
                    "Si cela continue, essayez depuis un autre réseau (par exemple le partage de connexion de votre téléphone).",
                ),
            ], [SUPPORT]
        case "stale-provisional-code":
            return [
                _r(
                    "new-provisional-code",
                    "Ask for a new provisional code and use it straight away: only the latest one is valid.",
                    "Demandez un nouveau code provisoire et utilisez-le aussitôt : seul le dernier reçu est valable.",
                ),
            ], [SUPPORT]
        case "security-code-undelivered":
            steps = [
                _r(
                    "check-spam",
                    "Look in the spam or junk folder of your mailbox.",
                    "Regardez dans le dossier spam ou courrier indésirable de votre messagerie.",
                ),
                _r(
                    "resend-code",
                    "Ask for the code to be sent again.",
                    "Demandez un nouvel envoi du code.",
                ),
                _r(
                    "update-contact",
                    "Once logged in, check that your phone number and e-mail address are up to date.",
                    "Une fois connecté, vérifiez que votre numéro de téléphone et votre adresse e-mail sont à jour.",
                ),
            ]
            return steps, [SUPPORT]
        case "security-code-expired":
            return [
                _r(
                    "resend-code",
                    "Ask for a new code and enter it within a few minutes of receiving it.",
                    "Demandez un nouveau code et saisissez-le dans les minutes qui suivent sa réception.",
                ),
            ], [SUPPORT]
        case "rights-not-open":
            return [
                _r(
                    "wait-rights",
                    "Wait until your file is processed, or send the document it asks for.",
                    "Attendez le traitement de votre dossier, ou envoyez le justificatif qu'il demande.",
                ),
            ], [SUPPORT]
        case "identity-provider":
            return [
                _r(
                    "other-partner",
                    "Choose another partner of the identity federation, or log in with your portal identifier and password.",
                    "Choisissez un autre partenaire de la fédération d'identité, ou connectez-vous avec l'identifiant et le mot de passe du portail.",
                ),
            ], [SUPPORT]
        case "captcha-provider":
            return [RETRY_LATER, FEDERATION], [SUPPORT]
        case "unknown":
            return [PRIVATE, OTHER_BROWSER], [SUPPORT]

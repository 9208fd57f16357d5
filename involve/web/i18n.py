"""The page language for each request, and the page-side names of involve.i18n (`_`, `N_`).

The language is chosen, first match wins: `?lang=CODE` (links; also remembered in a cookie), the
cookie (the language link on every page), the browser's Accept-Language, then INVOLVE_LANGUAGE.
Staff pages stay English (`STAFF_PATHS`); they show each person's language instead.
"""
from __future__ import annotations

from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from involve import i18n
from involve.i18n import N_, _, current, translations  # noqa: F401 - the names pages import from here
from involve.settings import settings

COOKIE, COOKIE_AGE = "involve_lang", 365 * 24 * 3600
STAFF_PATHS = ("/staff",)
LOCALE_DIR = i18n.LOCALE_DIR
explicit: ContextVar[bool] = ContextVar("involve_language_explicit", default=False)
here: ContextVar[str] = ContextVar("involve_page_path", default="/claim")  # the language links point here


def choose(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> tuple[str, bool]:
    """(language, whether the person chose it: by ?lang= or the cookie)."""
    for chosen in (query_lang, cookie_lang):
        if code := i18n.normalise(chosen):
            return code, True
    return i18n.from_accept_language(accept_language) or i18n.default(), False


def said(exc: Exception) -> str:
    """An error's message in the page's language: a `Message` (a rule's message with its values) or a
    catalogue message (`N_()` text from a service) is translated; text already translated, or
    staff-only English, is shown as it is."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return i18n.gettext(message)


def for_person(language: str | None) -> str:
    """A page about one person's claim (their Confirm: link): their language unless they chose one here."""
    if explicit.get():
        return i18n.current()
    return i18n.normalise(language) or i18n.current()


def _remembered(cookie_header: str) -> str | None:
    """The language the cookie remembers, or None (also for a malformed Cookie header)."""
    cookie = SimpleCookie()
    try:
        cookie.load(cookie_header)
    except Exception:  # noqa: BLE001 - a malformed Cookie header: no remembered language
        return None
    return cookie[COOKIE].value if COOKIE in cookie else None


class LanguageMiddleware:
    """Pure ASGI: sets the request's language (a context variable) and, for `?lang=`, the cookie."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query_string = scope.get("query_string", b"")  # parsed only when there is one (most requests: none)
        query = (parse_qs(query_string.decode("latin-1")).get("lang") or [None])[0] if query_string else None
        remembered = _remembered(headers["cookie"]) if "cookie" in headers else None
        if path.startswith(STAFF_PATHS):
            code, chosen = i18n.SOURCE, False
        else:
            code, chosen = choose(query, remembered, headers.get("accept-language"))
        set_cookie = bool(query) and i18n.normalise(query) == code and code != remembered

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                extra = [(b"content-language", code.encode()), (b"vary", b"Accept-Language, Cookie")]
                if set_cookie:
                    secure = "; Secure" if settings.base_url.startswith("https://") else ""
                    extra.append((b"set-cookie", f"{COOKIE}={code}; Max-Age={COOKIE_AGE}; Path=/; "
                                                 f"SameSite=Lax{secure}".encode()))
                names = {k.lower() for k, _v in message.get("headers", [])}
                message = dict(message, headers=[*message.get("headers", []),
                                                 *[(k, v) for k, v in extra if k not in names or k == b"set-cookie"]])
            await send(message)

        tokens = i18n.set_current(code), explicit.set(chosen), here.set(path)
        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            here.reset(tokens[2])
            explicit.reset(tokens[1])
            i18n.reset_current(tokens[0])

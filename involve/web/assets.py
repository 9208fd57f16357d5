"""NHS.UK frontend CSS/JS and images, served by the service itself under fingerprinted names.

`make install` puts the npm package nhsuk-frontend (the version matching nhsuk-frontend-jinja) in
var/frontend; nothing is copied into the repository. Without it the pages still work, unstyled.

No page load reaches another host: the package's CSS loads the Frutiger font from assets.nhs.uk
and the package does not ship the font files, so those `@font-face` rules are dropped when the CSS
is loaded and the pages use the CSS's own fallback (Arial, then the system sans-serif). The images
the CSS points at (`/assets/images/…`) are rewritten to the fingerprinted folder.

Every file is read once, at start-up, and served from memory at `/static/<fingerprint>/<path>`
with a one-year immutable cache lifetime: the fingerprint is a hash of the files, so a new package
version gets new URLs. Text files (CSS, JS, SVG, JSON) are sent gzip- or brotli-compressed when the
browser accepts it, compressed once on first request. A request for another fingerprint (a page
cached before an upgrade) gets the current file with a short lifetime.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from involve.settings import PROJECT_ROOT, settings

log = logging.getLogger("involve.web")
VERSION = "10.6.1"  # nhsuk-frontend; matches nhsuk-frontend-jinja 0.10.2
DEFAULT_DIR = PROJECT_ROOT / "var" / "frontend" / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
CSS = "nhsuk-frontend.min.css"
JS = "nhsuk-frontend.min.js"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=300"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                "image/vnd.microsoft.icon", "image/x-icon", "application/manifest+json")
_FONT_FACE_ELSEWHERE = re.compile(r"@font-face\s*{[^}]*url\(\s*['\"]?(?:https?:)?//[^}]*}")
_ASSET_URL = re.compile(r"url\(\s*(['\"]?)/assets/")


@dataclass
class Asset:
    body: bytes
    media_type: str
    _encoded: dict[str, bytes] = field(default_factory=dict)

    @cached_property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    @property
    def compressible(self) -> bool:
        return self.media_type.startswith(COMPRESSIBLE) and len(self.body) > 512

    def encoded(self, coding: str) -> bytes:
        if coding not in self._encoded:
            if coding == "br":
                import brotli

                self._encoded[coding] = brotli.compress(self.body, quality=9)
            else:
                self._encoded[coding] = gzip.compress(self.body, 9, mtime=0)
        return self._encoded[coding]


def _brotli_available() -> bool:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


BROTLI = _brotli_available()
OWN_VERSION = "2"  # involve/web/static (bump when those files change, so browsers fetch them again)


def frontend_dir() -> Path:
    return Path(settings.frontend_dir) if settings.frontend_dir else DEFAULT_DIR


def available() -> bool:
    return (frontend_dir() / CSS).is_file()


def own_css(css: str, prefix: str) -> str:
    """The package's CSS without fonts from another host, its image URLs under `prefix`."""
    css = _FONT_FACE_ELSEWHERE.sub("", css)
    return _ASSET_URL.sub(lambda m: f"url({m.group(1)}{prefix}/assets/", css)


@dataclass(frozen=True)
class Bundle:
    fingerprint: str
    files: dict[str, Asset]

    @property
    def prefix(self) -> str:
        return f"/static/{self.fingerprint}"

    def url(self, name: str) -> str:
        return f"{self.prefix}/{name}"


def bundle() -> Bundle | None:
    """The files pages use (CSS, JS, assets/**), read once; None when nhsuk-frontend is not installed."""
    return _bundle(frontend_dir())


@lru_cache(maxsize=4)
def _bundle(folder: Path) -> Bundle | None:
    if not (folder / CSS).is_file():
        return None
    raw = {CSS: (folder / CSS).read_bytes(), JS: (folder / JS).read_bytes()}
    for path in sorted((folder / "assets").rglob("*")):
        if path.is_file():
            raw[path.relative_to(folder).as_posix()] = path.read_bytes()
    digest = hashlib.sha256()
    for name, body in raw.items():
        digest.update(name.encode() + b"\0" + body + b"\0")
    fingerprint = digest.hexdigest()[:12]
    raw[CSS] = own_css(raw[CSS].decode(), f"/static/{fingerprint}").encode()
    files = {name: Asset(body, _media_type(name)) for name, body in raw.items()}
    return Bundle(fingerprint, files)


def _media_type(name: str) -> str:
    if name.endswith(".js"):
        return "application/javascript; charset=utf-8"
    if name.endswith(".css"):
        return "text/css; charset=utf-8"
    if name.endswith(".json"):
        return "application/json"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _coding(accept: str, asset: Asset) -> str | None:
    if not asset.compressible:
        return None
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if BROTLI and "br" in offered:
        return "br"
    if "gzip" in offered:
        return "gzip"
    return None


def respond(files: Bundle, fingerprint: str, path: str, request: Request) -> Response:
    asset = files.files.get(path)
    if asset is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": IMMUTABLE if fingerprint == files.fingerprint else REVALIDATE,
               "ETag": asset.etag}
    if asset.compressible:
        headers["Vary"] = "Accept-Encoding"
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    coding = _coding(request.headers.get("accept-encoding", ""), asset)
    body = asset.body
    if coding:
        body = asset.encoded(coding)
        headers["Content-Encoding"] = coding
    return Response(body, media_type=asset.media_type, headers=headers)


def mount(app: FastAPI) -> bool:
    """Serve the bundle at /static/<fingerprint>/… (and unfingerprinted /static/… for old links)."""
    files = bundle()
    if files is None:
        log.warning("NHS.UK frontend assets not found in %s: pages work but are unstyled "
                    "(run `make install`, which needs npm)", frontend_dir())
        return False

    @app.get("/static/{fingerprint}/{path:path}", include_in_schema=False)
    def fingerprinted(fingerprint: str, path: str, request: Request) -> Response:
        return respond(files, fingerprint, path, request)

    @app.get("/static/{path}", include_in_schema=False)
    def unfingerprinted(path: str, request: Request) -> Response:
        return respond(files, "", path, request)

    return True


class PageCompression:
    """gzip for pages and API answers over 1 kB when the browser accepts it; the webhooks (small
    answers, the hot path) and /static (compressed ahead, above) pass straight through."""

    SKIP = ("/webhooks", "/static", "/health")

    def __init__(self, app) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1000)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.SKIP):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)

"""HTTP hardening around the whole app (pure ASGI, outside Reflex): security headers on every
response, a Content-Security-Policy that names the exact inline scripts of each page, and
cross-origin websockets and CORS refused unless configured (``CLSS_ALLOWED_ORIGINS``).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from clss_app import settings

# React Router's pre-rendered pages carry a few inline scripts (theme, scroll restoration, the
# router's context and its stream): the CSP names each by hash instead of allowing any inline
# script. 'unsafe-eval' stays: Reflex runs a server event's rx.call_script through eval().
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def csp(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes), "'unsafe-eval'"])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


@lru_cache(maxsize=512)
def _page_csp(body: bytes) -> bytes:
    hashes = [base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() for m in INLINE_SCRIPT.finditer(body)]
    return csp(list(dict.fromkeys(hashes))).encode()


def _header(scope, name: bytes) -> str:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return ""


def same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (scheme://host[:port]) names the host the request was sent to."""
    o = urlsplit(origin)
    if not o.hostname or not host:
        return False
    default = 443 if o.scheme in ("https", "wss") else 80
    h = urlsplit("//" + host)
    return o.hostname == h.hostname and (o.port or default) == (h.port or default)


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if not origin:  # not a browser's cross-site request (curl, health checks, same-origin GETs)
        return True
    return origin in settings.allowed_origins() or same_origin(origin, _header(scope, b"host"))


def _tls(scope) -> bool:
    return scope.get("scheme") in ("https", "wss") or _header(scope, b"x-forwarded-proto") == "https"


class WebGuard:
    """Wraps the ASGI app: refuses cross-origin sockets and CORS, adds the security headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if not origin_allowed(scope):
            if kind == "websocket":  # closing before accepting answers the handshake with 403
                return await send({"type": "websocket.close", "code": 1008})
            return await _forbidden(send)
        if kind == "websocket":
            return await self.app(scope, receive, send)
        tls = _tls(scope)
        start: dict | None = None
        parts: list[bytes] = []

        async def guarded_send(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                headers += BASE_HEADERS + ([HSTS] if tls else [])
                message = {**message, "headers": headers}
                if _is_html(headers):  # held back until the body is known: its CSP names its scripts
                    start = message
                    return
                return await send(message)
            if start is None:
                return await send(message)
            if message["type"] == "http.response.pathsend":  # a static page sent by the server from disk
                body = await asyncio.to_thread(Path(message["path"]).read_bytes)
            else:
                parts.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(parts)
                message = {"type": "http.response.body", "body": body}
            start["headers"].append((b"content-security-policy", _page_csp(_plain(body, start["headers"]))))
            await send(start)
            await send(message)

        await self.app(scope, receive, guarded_send)


_REPLACED = {b"x-content-type-options", b"x-frame-options", b"referrer-policy", b"content-security-policy"}


def _is_html(headers) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)


def _plain(body: bytes, headers) -> bytes:
    encoding = next((v for k, v in headers if k.lower() == b"content-encoding"), b"")
    if encoding == b"gzip":
        return gzip.decompress(body)
    return body


async def _forbidden(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")] + BASE_HEADERS,
        }
    )
    await send({"type": "http.response.body", "body": "不允许的跨站请求".encode()})

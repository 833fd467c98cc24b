"""Uploads are refused at the door unless they come from a live login and fit what the declarations allow.

Reflex's ``/_upload`` parses the whole multipart body into temporary files before the event handler
can refuse it, whoever sends it: a 1 GB body from an anonymous client was accepted, and a few in
parallel fill the disk. This ASGI middleware sits in front of it and answers before Reflex reads a
byte of the body:
- 413 when the declared Content-Length is over the handler's limit, and, counting while the body
  streams (chunked, or a Content-Length that lies), as soon as it passes it: Reflex then sees a
  disconnected client and never runs the handler;
- 401 without a live session: the browser sends its login token in ``X-CLSS-Session`` (every upload
  in ``clss_app/admin/components/`` does), Reflex's own headers only name the tab and the handler.
The handler still checks the role, the data scope and each file, as before.

Limits, from the declarations (``limits()``): the largest form upload is one ``images`` field's
9 photos x 5 MB = 45 MB, an import file 20 MB (``io.MAX_IMPORT_BYTES``); each plus 64 KB for the
multipart framing. Any other handler name gets the largest of them.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse

from clss_app import db
from clss_app.admin import attachments, io
from clss_app.admin.site import served
from clss_app.core import media
from clss_app.services import auth

SESSION_HEADER = "X-CLSS-Session"
UPLOAD_PATH = "/_upload"
MB = 1024 * 1024
OVERHEAD = 64 * 1024  # boundaries, part headers and Reflex's small field of bound arguments


def limits() -> dict[str, int]:
    """The largest body each upload handler (by method name) may receive."""
    largest = 0
    for admin in served().admins():
        for spec in admin.fields.values():
            if spec.kind in ("image", "images"):  # the defaults the upload handler applies
                count = spec.extra.get("max_count", 9) if spec.kind == "images" else 1
                largest = max(largest, spec.extra.get("max_mb", media.DEFAULT_MAX_MB) * count)
            elif spec.kind == "file":
                largest = max(largest, spec.extra.get("max_mb", attachments.DEFAULT_MAX_MB))
    return {"upload_field": largest * MB + OVERHEAD, "upload_import": io.MAX_IMPORT_BYTES + OVERHEAD}


def limit_for(handler: str) -> int:
    known = limits()
    return known.get(handler.rsplit(".", 1)[-1], max(known.values()))


def _live(token: str | None) -> bool:
    if not token:
        return False
    with db.session_scope() as s:
        return auth.principal_for_token(s, token) is not None


def _too_large(limit: int) -> PlainTextResponse:
    return PlainTextResponse(f"上传内容超过 {limit // MB} MB 上限，已拒绝", status_code=413)


class UploadGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith(UPLOAD_PATH):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        limit = limit_for(headers.get("reflex-event-handler", ""))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(limit)(scope, receive, send)
        if not await asyncio.to_thread(_live, headers.get(SESSION_HEADER)):
            return await PlainTextResponse("请先登录后再上传", status_code=401)(scope, receive, send)

        received, refused, started = 0, False, False

        async def counted():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # answer now; to Reflex the client has gone, so it stops parsing
                    refused = True
                    if not started:
                        await _too_large(limit)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def sent(message):
            nonlocal started
            if not refused:
                started = True
                await send(message)

        await self.app(scope, counted, sent)

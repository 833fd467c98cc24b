"""The API's bodies are bounded before anything reads them: a JSON body at most ``JSON_MAX`` (the longest
text field is a few thousand characters), a multipart one (报修 with photos) at most ``UPLOAD_MAX``.
Without it a client could post a body of any size and FastAPI read it whole into memory (JSON) or to
temporary files (multipart) before a field's max_length refused it.

An ASGI middleware of the /api/v1 app, as ``clss_app/upload_guard.py`` is for Reflex's uploads: 413 in
the one error shape when the declared Content-Length is over, and, counting while the body streams
(chunked, or a Content-Length that lies), as soon as it passes: the endpoint then sees a client gone.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers

from clss_app.api import errors
from clss_app.core import media
from clss_app.services import repairs

MB = 1024 * 1024
JSON_MAX = 256 * 1024
UPLOAD_MAX = repairs.MAX_PHOTOS * media.DEFAULT_MAX_MB * MB + 64 * 1024  # plus the multipart framing and fields


def limit_of(headers: Headers) -> int:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return UPLOAD_MAX if kind == "multipart/form-data" else JSON_MAX


def _too_large(limit: int) -> Any:
    size = f"{limit // MB} MB" if limit >= MB else f"{limit // 1024} KB"
    return errors.answer(413, "too_large", f"请求体过大：最多 {size}")


class BodyLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        limit = limit_of(headers)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(limit)(scope, receive, send)
        received, refused, started = 0, False, False

        async def counted() -> Any:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # answer now; to the endpoint the client has gone
                    refused = True
                    if not started:
                        await _too_large(limit)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def sent(message: Any) -> None:
            nonlocal started
            if not refused:
                started = True
                await send(message)

        await self.app(scope, counted, sent)

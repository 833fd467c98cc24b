"""An external system's calls into the app (the payment provider's callbacks, the 建融家园 APP's landlord
messages): each a signed POST applied by a service in a transaction of its own, off the event loop.

One that lost a race with another call about the same thing (the service's ``retry`` exceptions), or met
a locked database, is run again: it then finds the winner's commit and is a repeat. The caller repeats a
call until it gets an answer below 500, so the 503 given after the last attempt loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clss_app import db

ATTEMPTS = 5
log = logging.getLogger(__name__)


class Answer(Protocol):
    status: int
    body: dict[str, str]


A = TypeVar("A", bound=Answer)


def applier(handle: Callable[[Session, bytes], A], retry: type[Exception], busy: A, what: str) -> Callable[[bytes], A]:
    """``handle`` run on a call's body in its own transaction, again after a race or a lock."""

    def apply(raw: bytes) -> A:
        for attempt in range(ATTEMPTS):
            try:
                with db.session_scope() as s:
                    return handle(s, raw)
            except (retry, DBAPIError):  # a race or a lock: the next pass sees the winner's commit
                if attempt + 1 == ATTEMPTS:
                    log.exception("%s not applied after %d attempts", what, ATTEMPTS)
        return busy

    return apply


def route(path: str, apply: Callable[[bytes], Answer], max_body: int) -> Route:
    async def endpoint(request: Request) -> JSONResponse:
        raw = await _body_within(request, max_body)
        if raw is None:
            return JSONResponse({"code": "FAIL", "message": "报文过长"}, status_code=413)
        answer = await asyncio.to_thread(apply, raw)
        return JSONResponse(answer.body, status_code=answer.status)

    return Route(path, endpoint, methods=["POST"])


async def _body_within(request: Request, max_body: int) -> bytes | None:
    """The body, or None once it runs past ``max_body``: read no further than that (``request.body()``
    would hold a caller's gigabyte in memory before its length could be checked)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        return None
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_body:
            return None
    return bytes(raw)

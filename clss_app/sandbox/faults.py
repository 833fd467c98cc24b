"""The faults a test sets on a stand-in over HTTP, alike for each counterpart that uses them: the next N
requests refused with 503 before anything is done (``fail_next``), answers given only after ``slow_ms``
(to the next ``slow_next`` requests, or all) once the request is taken, as a lost answer would be, and
the next N requests taken and then answered 503 (``lose_next``), so that the caller sends them again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from clss_app.core import signing
from clss_app.sandbox.common import request_fields


@dataclass
class Faults:
    slow_ms: int = 0
    slow_next: int | None = None  # how many requests are slow (None: every one)
    fail_next: int = 0
    lose_next: int = 0

    def refused(self) -> Response | None:
        """A 503 instead of the request (nothing done), while ``fail_next`` lasts."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
        return None

    async def fields(self, request: Request, key: str) -> dict[str, str] | Response:
        """A request's fields, once it is past the faults and its signature holds; else the answer to give."""
        refused = self.refused()
        if refused is not None:
            return refused
        fields = await request_fields(request)
        if not signing.verify(fields, key):
            return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
        return fields

    async def answer(self, taken: Response) -> Response:
        """The answer of a request already taken: late while slow, lost (503) while ``lose_next`` lasts."""
        if self.slow_ms and self.slow_next != 0:
            if self.slow_next is not None:
                self.slow_next -= 1
            await asyncio.sleep(self.slow_ms / 1000)
        if self.lose_next > 0:
            self.lose_next -= 1
            return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
        return taken

    def set(self, body: dict[str, Any]) -> None:
        if body.get("reset"):
            self.slow_ms = self.fail_next = self.lose_next = 0
            self.slow_next = None
        if "slow_ms" in body:
            self.slow_ms = int(body["slow_ms"])
            self.slow_next = int(body["slow_next"]) if body.get("slow_next") is not None else None
        for name in ("fail_next", "lose_next"):
            if name in body:
                setattr(self, name, int(body[name]))

"""What every stand-in does alike: read a request's fields, from the query of a GET or the JSON body of a
POST, each as text (as the callers signed them); play the faults a test asks for."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from clss_app.core import signing


async def request_fields(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.json()
    return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}


@dataclass
class Faults:
    """What a test makes a stand-in do wrong, set over HTTP: refuse the next ``fail_next`` requests with 503
    before doing anything; answer only after ``slow_ms`` (the next ``slow_next`` requests, or all) once
    the request is taken, as a lost answer would be; take the next ``lose_next`` requests and answer 503,
    so that the caller sends them again; list results twice (``twice``)."""

    slow_ms: int = 0
    slow_next: int | None = None
    fail_next: int = 0
    lose_next: int = 0
    twice: bool = False

    def busy(self) -> Response | None:
        """The 503 of a request told to fail (nothing done), else None."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
        return None

    async def slow(self) -> None:
        if self.slow_ms and self.slow_next != 0:
            if self.slow_next is not None:
                self.slow_next -= 1
            await asyncio.sleep(self.slow_ms / 1000)

    async def fields(self, request: Request, key: str) -> dict[str, str] | Response:
        """A request's fields, once it is past the faults and its signature holds; else the answer to give."""
        busy = self.busy()
        if busy is not None:
            return busy
        fields = await request_fields(request)
        if not signing.verify(fields, key):
            return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
        return fields

    async def answer(self, taken: Response) -> Response:
        """The answer of a request already taken: late while slow, lost (503) while ``lose_next`` lasts."""
        await self.slow()
        if self.lose_next > 0:
            self.lose_next -= 1
            return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
        return taken

    def set(self, body: dict[str, Any]) -> None:
        """The faults a control request names (``reset`` first when it asks)."""
        if body.get("reset"):
            self.slow_ms = self.fail_next = self.lose_next = 0
            self.slow_next = None
            self.twice = False
        if "slow_ms" in body:
            self.slow_ms = int(body["slow_ms"])
            self.slow_next = int(body["slow_next"]) if body.get("slow_next") is not None else None
        for name in ("fail_next", "lose_next"):
            if name in body:
                setattr(self, name, int(body[name]))
        if "twice" in body:
            self.twice = bool(body["twice"])

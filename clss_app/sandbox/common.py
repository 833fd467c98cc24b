"""What every stand-in does alike: read a request's fields, from the query of a GET or the JSON body of a
POST, each as text (as the callers signed them); play the faults a test asks for."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


async def request_fields(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.json()
    return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}


@dataclass
class Faults:
    """What a test makes a stand-in do wrong: answer slowly (for the next ``slow_next`` requests, or all),
    fail the next ``fail_next`` requests with 503, list its results twice."""

    slow_ms: int = 0
    slow_next: int | None = None
    fail_next: int = 0
    twice: bool = False

    def busy(self) -> Response | None:
        """The 503 of a request told to fail, else None."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
        return None

    async def slow(self) -> None:
        if self.slow_ms and self.slow_next != 0:
            if self.slow_next is not None:
                self.slow_next -= 1
            await asyncio.sleep(self.slow_ms / 1000)

    def reset(self) -> None:
        self.slow_ms = self.fail_next = 0
        self.slow_next = None
        self.twice = False

    def set(self, body: dict) -> None:
        """The faults a control request names (``reset`` first when it asks)."""
        if body.get("reset"):
            self.reset()
        if "slow_ms" in body:
            self.slow_ms = int(body["slow_ms"])
            self.slow_next = int(body["slow_next"]) if body.get("slow_next") is not None else None
        if "fail_next" in body:
            self.fail_next = int(body["fail_next"])
        if "twice" in body:
            self.twice = bool(body["twice"])

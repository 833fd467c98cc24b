"""What every stand-in reads alike: a request's fields, from the query of a GET or the JSON body of a
POST, each as text (as the callers signed them)."""

from __future__ import annotations

from starlette.requests import Request


async def request_fields(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.json()
    return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}

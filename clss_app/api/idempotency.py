"""Idempotency keys for creating POSTs: the same request sent again (a retry after a lost answer, a
double tap) gets the first answer and changes nothing.

    @router.post("/appointments", status_code=201, ...)
    def book(body: AppointmentIn, who: CurrentTenant, key: IdempotencyKey):
        return idempotency.run(who, key, "POST /appointments", body, lambda s: (201, service(s, who, body)))

``run`` writes the answer (``idempotent_answer``, unique per owner and key) in the same transaction as
the effect: two workers given the same key at once can never both apply it (the second's INSERT waits
for the first's commit, then finds its answer). A refusal (ApiError) rolls everything back, so the key
may be used again once the request is corrected; the same key with another body is refused (422).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session, select

from clss_app import db
from clss_app.api.errors import ApiError
from clss_app.core.rows import table_of
from clss_app.services.tenant_auth import TenantToken
from models import IdempotentAnswer, utcnow

KEY_PATTERN = r"^[A-Za-z0-9_\-:.]{8,64}$"


def idempotency_key(
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description="每个新请求一个新的随机值（8–64 位字母数字）；重试时原样再发，得到第一次的结果",
        ),
    ],
) -> str:
    return idempotency_key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


def fingerprint(what: str, body: BaseModel | dict | None) -> str:
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    raw = json.dumps([what, data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def run(
    who: TenantToken,
    key: str,
    what: str,
    body: BaseModel | dict | None,
    work: Callable[[Session], tuple[int, Any]],
) -> JSONResponse:
    """``work(session) -> (status, answer)`` once per (tenant, key); the stored answer after that."""
    owner, print_ = f"tenant:{who.tenant_id}", fingerprint(what, body)
    with db.session_scope() as s:
        taken = db.insert_ignoring_duplicates(
            s,
            table_of(IdempotentAnswer),
            [(owner, key, print_, 0, "", utcnow())],
            ["owner", "key", "fingerprint", "status", "body", "created_at"],
        )
        if not taken:
            held = s.exec(
                select(IdempotentAnswer).where(IdempotentAnswer.owner == owner, IdempotentAnswer.key == key)
            ).one()
            if held.fingerprint != print_:
                raise ApiError(422, "该幂等键已用于另一个请求，请换一个新的幂等键", field="Idempotency-Key")
            if not held.status:
                raise ApiError(409, "相同的请求正在处理，请稍后重试", code="in_progress")
            return JSONResponse(json.loads(held.body), status_code=held.status, headers={"Idempotent-Replayed": "true"})
        status, answer = work(s)
        encoded = jsonable_encoder(answer)
        held = s.exec(
            select(IdempotentAnswer).where(IdempotentAnswer.owner == owner, IdempotentAnswer.key == key)
        ).one()
        held.status, held.body = status, json.dumps(encoded, ensure_ascii=False)
        s.add(held)
    return JSONResponse(encoded, status_code=status)

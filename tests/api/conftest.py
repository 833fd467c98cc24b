"""The tenant API against the real app (tests/app_server.py starts it once per test session, shared with
the Chromium and forged-event suites), over HTTP with httpx, on SQLite or, in the test command's second
pass, on PostgreSQL + Redis with several workers. Login codes are read from the sandbox's SMS outbox,
as a demo user reads theirs."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.services import tenant_lease
from models import UNSIGNED_CONTRACT_STATES, Contract, Reservation, ReservationState, Room, RoomStatus, User
from tests.sandbox_server import sandbox_call

# A tenant whose phone no other company's tenant shares: their SMS login finds them alone.
UNIQUE_PHONE = "(SELECT count(*) FROM tenant u WHERE u.phone = t.phone) = 1"


@dataclass(frozen=True)
class DemoTenant:
    id: int
    phone: str
    contract_ids: list[int]
    bill_ids: list[int]


@pytest.fixture(scope="session")
def app_engine(base_url, app_db) -> Iterator[sa.Engine]:
    eng = sa.create_engine(app_db)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_tenants(app_engine) -> list[DemoTenant]:
    """Demo tenants with a phone of their own, contracts and bills they may see (confirmed, theirs to pay)."""
    with app_engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT t.id, t.phone FROM tenant t WHERE (SELECT count(*) FROM tenant u WHERE u.phone = t.phone) = 1 "
                "AND EXISTS (SELECT 1 FROM bill b WHERE b.tenant_id = t.id AND b.payer = 'tenant' "
                "AND b.state NOT IN ('unconfirmed', 'revoked')) ORDER BY t.id LIMIT 60"
            )
        ).all()
        out = []
        for tid, phone in rows:
            contracts = c.execute(sa.text("SELECT id FROM contract WHERE tenant_id = :t ORDER BY id"), {"t": tid})
            bills = c.execute(
                sa.text(
                    "SELECT id FROM bill WHERE tenant_id = :t AND payer = 'tenant' "
                    "AND state NOT IN ('unconfirmed', 'revoked') ORDER BY id"
                ),
                {"t": tid},
            )
            out.append(DemoTenant(tid, phone, list(contracts.scalars()), list(bills.scalars())))
    assert len(out) >= 10
    return out


@pytest.fixture
def api(base_url, sandbox_url) -> Iterator[httpx.Client]:
    # The sandbox's SMS gateway as a phone sees it: no fault another test set is still pending.
    sandbox_call(sandbox_url, "/sandbox/sms/control", {"fail_next": 0, "lose_next": 0, "slow_ms": 0})
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as client:
        yield client


def latest_code(sandbox_url: str, phone: str) -> str:
    with urllib.request.urlopen(f"{sandbox_url}/sandbox/sms/outbox?phone={phone}", timeout=10) as r:
        messages = json.loads(r.read())["messages"]
    found = re.search(r"\d{6}", messages[0]["text"]) if messages else None
    assert found is not None, f"no code for {phone} in the sandbox's outbox"
    return found.group(0)


def login(api: httpx.Client, sandbox_url: str, phone: str) -> dict[str, str]:
    """The Authorization header of a fresh token for ``phone`` (SMS code through the sandbox)."""
    sent = api.post("/auth/sms-code", json={"phone": phone})
    assert sent.status_code == 200, sent.text
    got = api.post("/auth/login", json={"phone": phone, "code": latest_code(sandbox_url, phone)})
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['token']}"}


def new_key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def store_drafts(app_engine, tenant_id: int, project_id: int) -> tuple[int, int]:
    """The store drafts an online contract on a vacant room nobody else waits for: (contract, room)."""
    with Session(app_engine) as s:
        waiting = select(Contract.room_id).where(Contract.state.in_(UNSIGNED_CONTRACT_STATES))
        held = select(Reservation.room_id).where(Reservation.state == ReservationState.ACTIVE)
        room = s.exec(
            select(Room)
            .where(
                Room.project_id == project_id,
                Room.status == RoomStatus.VACANT,
                Room.id.not_in(waiting),
                Room.id.not_in(held),
            )
            .order_by(Room.id)
        ).first()
        assert room is not None
        manager = s.exec(select(User).where(User.username == "manager")).one()
        c = tenant_lease.draft_online(s, tenant_id, room, clock.today() + timedelta(days=3), manager.id)
        s.commit()
        return c.id or 0, room.id or 0

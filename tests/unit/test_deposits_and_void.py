"""定金 and void: cancelling a reservation gives its 定金 back (a refund finance confirms) or keeps it, with a
reason; a lapsed reservation's 定金 is decided later; a 待执行 contract with nothing paid is voided by the
负责人: bills revoked, room free, reason kept."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app.services import ledger
from clss_app.services.permissions import Forbidden
from models import (
    Bill,
    BillState,
    Contract,
    ContractState,
    DepositState,
    Reservation,
    ReservationState,
    Room,
    RoomStatus,
)
from tests.unit.test_leasing import act, service


def _active_reservation(s, p):
    from clss_app.services.permissions import scope_clause

    return s.exec(
        select(Reservation)
        .where(
            Reservation.state == ReservationState.ACTIVE,
            Reservation.deposit > 0,
            scope_clause(p, Reservation.project_id),
        )
        .order_by(Reservation.id)
    ).first()


def test_cancelling_asks_what_becomes_of_the_deposit(session, principal_of):
    manager, fin = principal_of("manager"), principal_of("finance")
    r = _active_reservation(session, manager)
    refused = service(session, manager, "reservations", "cancel", [r.id], text="租客改期")
    assert refused.done == 0 and refused.refused[0] == ("定金处理", "请选择退还定金或没收定金")
    assert session.get_one(Reservation, r.id).state == ReservationState.ACTIVE
    out = act(session, manager, "reservations", "cancel", [r.id], text="租客改期", raw={"deposit_decision": "refund"})
    assert out.done == 1
    r = session.get_one(Reservation, r.id)
    assert (r.state, r.deposit_state, r.deposit_reason, r.deposit_by_id) == (
        ReservationState.CANCELLED,
        DepositState.REFUND_DUE,
        "租客改期",
        manager.user_id,
    )
    assert session.get_one(Room, r.room_id).status == RoomStatus.VACANT
    with pytest.raises(Forbidden):  # the store does not confirm money going out
        act(session, manager, "deposit_refunds", "refunded", [r.id], text="已转账")
    assert act(session, fin, "deposit_refunds", "refunded", [r.id], text="流水 T123").done == 1
    assert session.get_one(Reservation, r.id).deposit_state == DepositState.REFUNDED


def test_a_kept_deposit_and_a_lapsed_one_decided_later(session, principal_of):
    manager = principal_of("manager")
    r = _active_reservation(session, manager)
    out = act(session, manager, "reservations", "cancel", [r.id], text="违约", raw={"deposit_decision": "forfeit"})
    assert out.done == 1 and session.get_one(Reservation, r.id).deposit_state == DepositState.FORFEITED
    lapsed = _active_reservation(session, manager)
    session.execute(sa.update(Reservation).where(Reservation.id == lapsed.id).values(state=ReservationState.EXPIRED))
    session.expire_all()
    decided = act(
        session,
        manager,
        "reservations",
        "settle_deposit",
        [lapsed.id],
        text="过期未签约",
        raw={"deposit_decision": "forfeit"},
    )
    assert decided.done == 1 and session.get_one(Reservation, lapsed.id).deposit_state == DepositState.FORFEITED
    with pytest.raises(Forbidden):  # decided once: no longer offered
        act(
            session,
            manager,
            "reservations",
            "settle_deposit",
            [lapsed.id],
            text="再次",
            raw={"deposit_decision": "refund"},
        )


def _signed(session, paid: bool):
    for c in session.exec(select(Contract).where(Contract.state == ContractState.SIGNED).order_by(Contract.id)):
        has_paid = session.execute(select(sa.func.count()).where(Bill.contract_id == c.id, Bill.paid != 0)).scalar_one()
        if bool(has_paid) == paid:
            return c
    raise AssertionError("no such contract in the demo")


def test_the_principal_voids_a_contract_with_nothing_paid(session, principal_of):
    principal, manager = principal_of("principal"), principal_of("manager")
    c = _signed(session, paid=False)
    with pytest.raises(Forbidden):  # 负责人 only
        act(session, manager, "contracts", "void", [c.id], text="录入错误")
    out = act(session, principal, "contracts", "void", [c.id], text="录入错误，重新签约")
    assert out.done == 1, out.refused
    c = session.get_one(Contract, c.id)
    assert (c.state, c.void_reason) == (ContractState.VOID, "录入错误，重新签约")
    assert {b.state for b in session.exec(select(Bill).where(Bill.contract_id == c.id))} == {BillState.REVOKED}
    assert session.get_one(Room, c.room_id).status == RoomStatus.VACANT
    paid = _signed(session, paid=True)
    refused = act(session, principal, "contracts", "void", [paid.id], text="试试")
    assert refused.done == 0 and "已有收款" in refused.refused[0][1]
    assert session.get_one(Contract, paid.id).state == ContractState.SIGNED
    assert ledger.mismatches(session) == []

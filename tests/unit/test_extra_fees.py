"""添加账单费用: a 非合同类 fee on a contract becomes an ordinary bill, confirmed and adjusted like any."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from clss_app.core import clock
from clss_app.core.results import ActionContext
from clss_app.services import bill_approvals, bills, extra_fees
from models import Bill, BillKind, BillState, Contract, ContractState, FeeItem, FeeKind


def _contract_and_item(s):
    c = s.exec(select(Contract).where(Contract.state == ContractState.ACTIVE).order_by(Contract.id)).first()
    item = s.exec(
        select(FeeItem).where(FeeItem.project_id == c.project_id, FeeItem.kind == FeeKind.NON_CONTRACT)
    ).first()
    return c, item


def test_the_choices_are_the_non_contract_fee_items_of_the_contracts_project(session, principal_of):
    c, item = _contract_and_item(session)
    options = extra_fees.fee_choices(session, principal_of("manager"), [c])["fee_item"]
    assert (str(item.id), item.name) in options
    kinds = {session.get_one(FeeItem, int(v)).kind for v, _ in options}
    assert kinds == {FeeKind.NON_CONTRACT}


def test_a_fee_added_is_an_unconfirmed_bill_that_follows_the_usual_rules(session, principal_of):
    p = principal_of("manager")
    c, item = _contract_and_item(session)
    due = clock.today() + timedelta(days=3)
    values = {"fee_item": str(item.id), "amount": Decimal("180.00"), "due_date": due, "remark": "更换门锁"}
    for _ in range(2):  # two of the same fee: numbered, never a duplicate
        assert extra_fees.add_fee(ActionContext(session, p, [c], values=values)).done == 1
    session.flush()
    added = session.exec(
        select(Bill).where(Bill.contract_id == c.id, Bill.kind == BillKind.EXTRA).order_by(Bill.period_no)
    ).all()
    assert [(b.period_no, b.amount, b.state, b.due_date, b.remark) for b in added] == [
        (1, Decimal("180.00"), BillState.UNCONFIRMED, due, "更换门锁"),
        (2, Decimal("180.00"), BillState.UNCONFIRMED, due, "更换门锁"),
    ]
    # A decrease waits for a 负责人, as on any unconfirmed bill; confirming pushes it to the tenant.
    lower = bill_approvals.request_adjustments(
        ActionContext(
            session, p, [added[0]], text="按实际用料", values={"amount_after": Decimal("150.00"), "reason": "用料少"}
        )
    )
    assert lower.done == 1 and session.get_one(Bill, added[0].id).amount == Decimal("180.00")
    assert bills.confirm(ActionContext(session, p, [added[1]])).done == 1


def test_bad_input_is_refused_and_names_the_field(session, principal_of):
    p = principal_of("manager")
    c, item = _contract_and_item(session)
    other = session.exec(select(FeeItem).where(FeeItem.kind != FeeKind.NON_CONTRACT)).first()
    due = clock.today()
    cases = [
        ({"fee_item": str(item.id), "amount": Decimal("0"), "due_date": due}, "金额"),
        ({"fee_item": str(item.id), "amount": Decimal("100000.01"), "due_date": due}, "金额"),
        ({"fee_item": str(other.id), "amount": Decimal("10"), "due_date": due}, c.number),
        ({"fee_item": "999999", "amount": Decimal("10"), "due_date": due}, c.number),
    ]
    for values, where in cases:
        result = extra_fees.add_fee(ActionContext(session, p, [c], values=values))
        assert result.done == 0 and result.refused[0][0] == where
    ended = session.exec(select(Contract).where(Contract.state == ContractState.CHECKED_OUT)).first()
    values = {"fee_item": str(item.id), "amount": Decimal("10"), "due_date": due}
    assert extra_fees.add_fee(ActionContext(session, p, [ended], values=values)).done == 0

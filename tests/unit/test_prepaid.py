"""预收 and 冲抵: a prepayment goes in (never refused), settles confirmed bills oldest first at once, on
confirmation and on demand; a check-out counts what is left; a refund draws it down. The ledger adds
up after each (SQLite here; PostgreSQL in the suite's second run)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from clss_app import db
from clss_app.admin import crud
from clss_app.core import clock
from clss_app.services import ledger, prepaid
from clss_app.services.bills import OPEN, outstanding
from clss_app.site import app_site
from models import BalanceEntry, Bill, BillState, Contract, ContractState, LedgerSource, Payment, Tenant
from tests.unit.test_leasing import act


def _tenant_with_owed_bills(s, n=2):
    """A tenant of one running contract whose next n bills are confirmed and unpaid (confirmed here)."""
    for c in s.exec(select(Contract).where(Contract.state == ContractState.ACTIVE).order_by(Contract.id)):
        others = s.exec(
            select(Contract).where(Contract.tenant_id == c.tenant_id, Contract.state == ContractState.ACTIVE)
        ).all()
        owed = s.exec(select(Bill).where(Bill.contract_id == c.id, Bill.state.in_(OPEN))).all()
        if (
            len(others) == 1
            and not owed
            and prepaid.balance(s, s.get_one(Tenant, c.tenant_id).company_id, c.tenant_id) == 0
        ):
            nxt = s.exec(
                select(Bill)
                .where(Bill.contract_id == c.id, Bill.state == BillState.UNCONFIRMED)
                .order_by(Bill.due_date, Bill.id)
            ).all()[: n + 1]
            return c, nxt
    raise AssertionError("no such tenant in the demo")


def _prepay(s, fin, tenant_id, amount):
    admin = app_site().admin("balances")
    row, note = crud.create(s, admin, fin, {"tenant_id": str(tenant_id), "amount": str(amount), "source_ref": "YS001"})
    return row, note


def test_a_prepayment_settles_the_next_two_bills(demo_db, principal_of):
    manager, fin = principal_of("manager"), principal_of("finance")
    with db.session_scope() as s:
        c, nxt = _tenant_with_owed_bills(s)
        two = nxt[:2]
        act(s, manager, "bills", "confirm", [b.id for b in two])
        total = sum(outstanding(s.get_one(Bill, b.id)) for b in two)
    with db.session_scope() as s:
        _prepay(s, fin, c.tenant_id, total + Decimal("100.00"))
    with db.session_scope() as s:
        assert [s.get_one(Bill, b.id).state for b in two] == [BillState.PAID, BillState.PAID]
        lines = s.exec(select(Payment).where(Payment.bill_id.in_([b.id for b in two]))).all()
        assert {x.source for x in lines} == {LedgerSource.BALANCE} and sum(x.amount for x in lines) == total
        company = s.get_one(Tenant, c.tenant_id).company_id
        assert prepaid.balance(s, company, c.tenant_id) == Decimal("100.00")
        kinds = sorted(e.kind.value for e in s.exec(select(BalanceEntry).where(BalanceEntry.tenant_id == c.tenant_id)))
        assert kinds == ["offset", "offset", "prepaid"]
        # The third bill, confirmed later, takes the ¥100 left at once.
        third = nxt[2]
        act(s, manager, "bills", "confirm", [third.id])
    with db.session_scope() as s:
        b = s.get_one(Bill, third.id)
        assert b.paid == min(Decimal("100.00"), b.amount + b.late_fee)
        assert ledger.mismatches(s) == []


def test_a_prepayment_is_never_refused_for_want_of_bills_and_is_spent_on_demand(demo_db, principal_of):
    manager, fin = principal_of("manager"), principal_of("finance")
    with db.session_scope() as s:
        c, nxt = _tenant_with_owed_bills(s)
        _prepay(s, fin, c.tenant_id, Decimal("50.00"))  # nothing owed yet: it waits
    with db.session_scope() as s:
        company = s.get_one(Tenant, c.tenant_id).company_id
        assert prepaid.balance(s, company, c.tenant_id) == Decimal("50.00")
        # Confirmed by the plain service (no automatic settling): 冲抵 on demand spends it.
        from clss_app.core.results import ActionContext
        from clss_app.services import bills

        bills.confirm(ActionContext(s, manager, [s.get_one(Bill, nxt[0].id)]))
    with db.session_scope() as s:
        out = act(s, manager, "tenants", "offset", [c.tenant_id])
        assert out.done == 1
        assert s.get_one(Bill, nxt[0].id).paid == Decimal("50.00")
        assert prepaid.balance(s, company, c.tenant_id) == 0
        again = act(s, manager, "tenants", "offset", [c.tenant_id])
        assert again.done == 0 and again.refused[0][1] == "无预收余额或无待缴账单"
        assert ledger.mismatches(s) == []


def test_bad_prepayments_are_named_at_the_amount(demo_db, principal_of):
    fin = principal_of("finance")
    with db.session_scope() as s:
        t = s.exec(select(Tenant)).first()
        for amount in ("0", "-5", "1000000.01"):
            try:
                _prepay(s, fin, t.id, amount)
            except crud.ValidationFailed as exc:
                assert "amount" in exc.errors
            else:
                raise AssertionError(f"{amount} accepted")


def test_check_out_counts_the_balance_and_a_refund_draws_it_down(demo_db, principal_of):
    manager, fin = principal_of("manager"), principal_of("finance")
    with db.session_scope() as s:
        c, _ = _tenant_with_owed_bills(s)
        _prepay(s, fin, c.tenant_id, Decimal("300.00"))
    with db.session_scope() as s:
        out = act(s, manager, "tenants", "refund_prepaid", [c.tenant_id], text="租客要求", raw={"amount": "120"})
        assert out.done == 1
        company = s.get_one(Tenant, c.tenant_id).company_id
        assert prepaid.balance(s, company, c.tenant_id) == Decimal("180.00")
        refund = s.exec(select(Bill).where(Bill.tenant_id == c.tenant_id, Bill.fee_key == "prepaid_refund")).one()
        assert (refund.state, refund.amount) == (BillState.REFUND_DUE, Decimal("120.00"))
        over = act(s, manager, "tenants", "refund_prepaid", [c.tenant_id], text="再退", raw={"amount": "500"})
        assert over.done == 0 and "不超过预收余额 ¥180.00" in over.refused[0][1]
    with db.session_scope() as s:
        day = clock.today()
        out = act(s, manager, "check_outs", "check_out", [c.id], raw={"checked_out_on": str(max(day, c.start_date))})
        assert out.done == 1, out.refused
        assert "预收余额抵扣 ¥180.00" in out.notes[0]
        assert prepaid.balance(s, company, c.tenant_id) == 0
        assert ledger.mismatches(s) == []

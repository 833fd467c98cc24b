"""A withholding world for the tests (unit and Chromium): tenants of 海淀家园 (the first company's second
project, with no agreement in the demo) who each sign an agreement and have exactly one bill owed now."""

from __future__ import annotations

import random
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.privacy import luhn_ok
from clss_app.services import withhold_agreements, withholding
from models import (
    UNPAID_BILL_STATES,
    Bill,
    BillKind,
    BillState,
    Contract,
    ContractState,
    Payer,
    Project,
    Tenant,
    WithholdAgreement,
)

PROJECT = "海淀家园"


@dataclass(frozen=True)
class Debtor:
    tenant_id: int
    name: str
    card_no: str
    bill_id: int


def card(rng: random.Random) -> str:
    body = "621700" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def project_of(s: Session) -> Project:
    return s.exec(select(Project).where(Project.name == PROJECT)).one()


def debtors(s: Session, n: int = 20, seed: int = 1) -> list[Debtor]:
    """``n`` tenants of 海淀家园 with an agreement each and one bill each that a run of today takes: a
    bill they owe now, or (the arrangement) their next rent bill, confirmed and falling due today."""
    rng = random.Random(seed)
    project = project_of(s)
    contracts = s.exec(
        select(Contract)
        .where(Contract.project_id == project.id, Contract.state == ContractState.ACTIVE)
        .order_by(Contract.id)
    ).all()
    out: list[Debtor] = []
    today = clock.today()

    def taken(tenant_id: int) -> list[int]:
        dues = withholding.dues_for(s, project.company_id, project.id, today)
        assert not isinstance(dues, str), dues
        return [d.bill_id for d in dues if d.tenant_id == tenant_id]

    for c in contracts:
        if len(out) == n:
            break
        tenant = s.get_one(Tenant, c.tenant_id)
        if withhold_agreements.active_of(s, c.tenant_id, project.company_id) is not None:
            continue
        agreement = WithholdAgreement(
            company_id=project.company_id,
            tenant_id=c.tenant_id,
            card_no=card(rng),
            holder_name=tenant.name,
            bank_name="中国建设银行",
        )
        s.add(agreement)
        s.flush()
        if not taken(c.tenant_id):
            nxt = s.exec(
                select(Bill)
                .where(
                    Bill.contract_id == c.id,
                    Bill.kind == BillKind.RENT,
                    Bill.payer == Payer.TENANT,
                    Bill.state.in_(UNPAID_BILL_STATES),
                )
                .order_by(Bill.due_date)
            ).first()
            if nxt is not None:
                s.execute(
                    sa.update(Bill)
                    .where(Bill.id == nxt.id)
                    .values(state=BillState.CONFIRMED, due_date=today, confirmed_at=clock.now())
                )
        bills = taken(c.tenant_id)
        if len(bills) != 1:
            s.delete(agreement)
            s.flush()
            continue
        out.append(Debtor(c.tenant_id, tenant.name, agreement.card_no, bills[0]))
    assert len(out) == n, f"only {len(out)} tenants of {PROJECT} fit"
    return out

"""Demo step for 网签备案 and 按居贷: 北京 is connected to its 监管平台 (上海 is not, 深圳 keeps the default 否),
one contract of the store manager's project is filed (its number as the sandbox platform makes them),
that project and its company's second one have 贷款参数 (信用 and 担保), and a new tenant's two-year
一次性 contract in the manager's project was paid by 按居贷 (the loan 已放款, its ledger line posted,
the quota used). The contract is signed through the leasing service, as the back office signs one;
the loan's answer is written as the sandbox bank would give it (the demo is built without the sandbox).
It runs after the history step: what it makes carries the history its services write."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from clss_app.core import clock
from clss_app.core.principal import Principal
from clss_app.core.privacy import check_digit
from clss_app.core.rows import saved_id
from clss_app.sandbox import loan as sandbox_loan
from clss_app.sandbox import regulator as sandbox_regulator
from clss_app.services import leasing, ledger, loans
from clss_app.services.billing import add_months
from clss_app.services.permissions import load_principal
from models import (
    Bill,
    BillKind,
    BillMode,
    CityParam,
    Contract,
    ContractState,
    FilingState,
    LedgerSource,
    Loan,
    LoanMode,
    LoanParam,
    LoanState,
    PayCycle,
    PaymentMethod,
    Project,
    Room,
    RoomStatus,
    Tenant,
    User,
    UserProject,
)


def sign_contract(
    session: Session,
    p: Principal,
    room: Room,
    tenant_id: int,
    start: date,
    months: int,
    cycle: PayCycle,
    rent: Decimal,
) -> Contract:
    """A contract signed in the back office (its bills written, the first confirmed), as 合同列表's 新增."""
    c = Contract(
        number=leasing.placeholder_number(),
        project_id=room.project_id,
        room_id=saved_id(room),
        tenant_id=tenant_id,
        start_date=start,
        end_date=add_months(start, months) - timedelta(days=1),
        monthly_rent=rent,
        deposit=rent,
        cycle=cycle,
        bill_mode=BillMode.SAME_DAY,
        created_by_id=p.actor_id,
    )
    session.add(c)
    session.flush()
    leasing.sign(session, p, c)
    return c


def id_number(seq: int, born: date = date(1990, 5, 17), region: str = "110108") -> str:
    first17 = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_digit(first17)


def manager_and_project(session: Session) -> tuple[Principal, Project]:
    manager = session.exec(select(User).where(User.username == "manager")).one()
    project_id = session.exec(select(UserProject.project_id).where(UserProject.user_id == manager.id)).first()
    return load_principal(session, manager), session.get_one(Project, project_id)


def seed_filing_and_loans(ctx) -> None:
    s = ctx.session
    s.add(CityParam(city="北京", key="filing_connected", value="是", remark="已对接北京市住房租赁监管服务平台"))
    s.add(CityParam(city="上海", key="filing_connected", value="否", remark="尚未对接监管平台"))
    p, project = manager_and_project(s)
    siblings = select(Project).where(Project.company_id == project.company_id, Project.id != project.id)
    other = s.exec(siblings.order_by(col(Project.id))).first()
    for row, mode, quota in ((project, LoanMode.CREDIT, 3_000_000), (other, LoanMode.GUARANTEE, 1_000_000)):
        if row is not None:
            s.add(LoanParam(company_id=row.company_id, project_id=saved_id(row), mode=mode, quota=Decimal(quota)))
    s.flush()

    filed = s.exec(
        select(Contract)
        .join(Tenant, col(Tenant.id) == Contract.tenant_id)
        .where(Contract.project_id == project.id, Contract.state == ContractState.ACTIVE, Tenant.id_number != "")
        .order_by(col(Contract.id))
    ).first()
    if filed is not None:
        filed.filing_state = FilingState.FILED
        filed.filing_no = sandbox_regulator.filing_number(filed.number)
        filed.filed_at = ctx.at(filed.signed_on)
        s.add(filed)

    # A vacant room no online contract is waiting for (在线签约审核 would find it taken).
    waiting = select(Contract.room_id).where(Contract.state == ContractState.PENDING_REVIEW)
    room = s.exec(
        select(Room)
        .where(Room.project_id == project.id, Room.status == RoomStatus.VACANT, col(Room.id).not_in(waiting))
        .order_by(col(Room.id))
    ).first()
    if room is None:
        return
    rent = room.rent or Decimal(3000)
    amount_needed = rent * 24
    seq = 1
    while sandbox_loan.credit_line(id_number(seq)) < amount_needed:  # one the sandbox bank would lend to
        seq += 1
    tenant = Tenant(company_id=project.company_id, name="陈嘉怡", phone="13811206688", id_number=id_number(seq))
    s.add(tenant)
    s.flush()
    c = sign_contract(s, p, room, saved_id(tenant), clock.today(), 24, PayCycle.ONCE, rent)
    bill = s.exec(select(Bill).where(Bill.contract_id == c.id, Bill.kind == BillKind.RENT)).one()
    number = f"LN{clock.today():%Y%m%d}00000001"  # the shape of loans.py's numbers (no "DEMO" on screen)
    loan = Loan(
        number=number,
        company_id=project.company_id,
        project_id=saved_id(project),
        contract_id=saved_id(c),
        bill_id=saved_id(bill),
        tenant_id=saved_id(tenant),
        mode=LoanMode.CREDIT,
        amount=bill.amount,
        credit_line=sandbox_loan.credit_line(tenant.id_number),
        state=LoanState.APPROVED,
        bank_ref="L" + number[-19:],
        created_by_id=p.actor_id,
        decided_at=clock.now(),
    )
    s.add(loan)
    s.flush()
    param = loans.param_of(s, saved_id(project))
    assert param is not None and loans.reserve(s, saved_id(param), bill.amount)
    ledger.post(
        s,
        [saved_id(bill)],
        bill.amount,
        method=PaymentMethod.LOAN,
        source=LedgerSource.LOAN,
        source_ref=number,
        by_id=p.actor_id,
        process=loans.PROCESS,
    )
    ctx.counts["按居贷"] = 1

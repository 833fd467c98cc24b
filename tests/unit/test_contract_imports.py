"""项目参数 / 在线签约设置 and 合同批量导入 with its T+1 batch, without Reflex: the settings' rules, each
imported row checked, the batch idempotent and billing exactly as back-office signing, a batch's cancel
blocked by a real contract, the Shanghai day's edge, and the daily job's step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa
import time_machine
from sqlmodel import Session, select

from clss_app import db
from clss_app.admin import batches, crud, io
from clss_app.core import clock
from clss_app.core.privacy import mask
from clss_app.core.results import ActionContext
from clss_app.services import contract_imports, documents, jobs, ledger, signing
from models import (
    AgreementState,
    Bill,
    BillMode,
    Contract,
    ContractImport,
    ContractSource,
    ContractState,
    EnterpriseParam,
    FeeItem,
    FeeKind,
    ImportBatch,
    ImportState,
    PriceUnit,
    PricingStandard,
    Project,
    Room,
    RoomStatus,
    Tenant,
    WithholdAgreement,
)
from tests.unit.test_documents import text_of

VISA_TEST = "4111111111111111"


@dataclass(frozen=True)
class World:
    project_id: int
    project: str
    rooms: list[str]  # vacant room numbers
    tenants: list[tuple[str, str]]  # (身份证号 or phone, name)
    fee_id: int  # a 手工录入 periodic fee, default 80 a month


def world(s: Session, principal_of, enabled: bool = True) -> World:
    """The manager's project set up for 合同批量导入: the company withholds, the project has its settings and a
    手工录入 fee with its default amount."""
    p = principal_of("manager")
    project = s.get_one(Project, sorted(p.project_ids or [])[0])
    s.execute(sa.delete(ContractImport).where(ContractImport.state.in_(signing.OPEN_IMPORTS)))  # the demo's
    s.execute(
        sa.delete(EnterpriseParam).where(
            EnterpriseParam.company_id == project.company_id, EnterpriseParam.key == "withhold_enabled"
        )
    )
    s.add(EnterpriseParam(company_id=project.company_id, key="withhold_enabled", value="是" if enabled else "否"))
    project.bill_mode, project.withhold_enabled, project.withhold_day = BillMode.SAME_DAY, True, 10
    s.add(project)
    fee = s.exec(select(FeeItem).where(FeeItem.project_id == project.id, FeeItem.name == "网络费")).first()
    if fee is None:
        fee = FeeItem(project_id=project.id or 0, name="网络费", kind=FeeKind.PERIODIC)
        s.add(fee)
        s.flush()
        s.add(
            PricingStandard(
                fee_item_id=fee.id or 0, project_id=project.id or 0, name="网络", unit_price=0, unit=PriceUnit.MANUAL
            )
        )
    fee.default_amount = Decimal("80")
    s.add(fee)
    rooms = s.exec(
        select(Room.number).where(Room.project_id == project.id, Room.status == RoomStatus.VACANT).order_by(Room.id)
    ).all()
    tenants = s.exec(
        select(Tenant).where(Tenant.company_id == project.company_id, Tenant.id_number != "").order_by(Tenant.id)
    ).all()
    s.flush()
    return World(
        project.id or 0, project.name, list(rooms[:6]), [(t.id_number, t.name) for t in tenants[:4]], fee.id or 0
    )


def sheet(w: World, rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "项目": [w.project] * len(rows),
            "房间": [r[0] for r in rows],
            "租客（证件号码或手机号）": [r[1] for r in rows],
            "起租日": [r[2] for r in rows],
            "到期日": [r[3] for r in rows],
        }
    )


def leases(w: World, n: int, start: str = "2027-01-01", end: str = "2027-12-31") -> list[tuple[str, str, str, str]]:
    """The file's rows: the world's first ``n`` rooms, each to a tenant of its own, for one term."""
    return [(w.rooms[i], w.tenants[i][0], start, end) for i in range(n)]


def imported(s: Session, app_site, principal_of, frame: pl.DataFrame) -> list[ContractImport]:
    admin = app_site.admin("contract_imports")
    manager = principal_of("manager")
    preview = io.dry_run(s, admin, manager, frame)
    assert preview.ok, preview.errors
    io.commit(s, admin, manager, preview, "合同.xlsx")
    return list(s.exec(select(ContractImport).order_by(ContractImport.id.desc()).limit(frame.height)).all())[::-1]


def act(s: Session, app_site, principal_of, name: str, rows, user: str = "manager", **values):
    admin = app_site.admin("contract_imports")
    action = next(a for a in admin.actions if a.name == name)
    return crud.run_action(s, admin, action, principal_of(user), ids=[r.id for r in rows], raw=values)


def schedule_of(s: Session, contract_id: int) -> list[tuple]:
    return [
        (b.kind, b.fee_name, b.period_no, b.period_start, b.period_end, b.due_date, b.amount, b.state, b.payer)
        for b in s.exec(select(Bill).where(Bill.contract_id == contract_id).order_by(Bill.fee_key, Bill.period_no))
    ]


# ---------------------------------------------------------------- 在线签约设置


def test_only_a_system_admin_turns_withholding_on_and_the_bill_mode_follows_the_open_contracts(session, principal_of):
    project = session.exec(select(Project).where(Project.name == "海淀家园")).one()
    project.withhold_enabled = False
    turn_on = {"withhold_enabled": True, "withhold_day": 5}
    assert signing.problems(session, principal_of("principal"), turn_on, project) == {
        "withhold_enabled": "只有系统管理员可以开启代扣，请联系当地分行系统管理员"
    }
    assert signing.problems(session, principal_of("sysadmin"), turn_on, project) == {}
    assert "withhold_day" in signing.problems(session, principal_of("sysadmin"), {"withhold_enabled": True}, project)
    open_same_day = session.execute(
        select(sa.func.count()).where(
            Contract.project_id == project.id,
            Contract.state.in_(signing.OPEN_CONTRACTS),
            Contract.bill_mode == BillMode.SAME_DAY,
        )
    ).scalar_one()
    assert open_same_day > 0
    refused = signing.problems(session, principal_of("manager"), {"bill_mode": BillMode.MONTH_START}, project)
    assert refused["bill_mode"].startswith(f"本项目还有 {open_same_day} 份未结束的非“月初”合同")
    session.execute(sa.update(Contract).where(Contract.project_id == project.id).values(bill_mode=BillMode.SAME_DAY))
    assert signing.problems(session, principal_of("manager"), {"bill_mode": BillMode.SAME_DAY}, project) == {}


def test_the_printed_contract_takes_the_projects_terms(session, tmp_path):
    c = session.exec(select(Contract).order_by(Contract.id)).first()
    assert "三、押金于合同终止" in text_of(documents.contract_document(session, c, None), tmp_path)  # the default
    project = session.get_one(Project, c.project_id)
    project.contract_terms = "第一条 本项目专用条款。\n\n第二条 押金一个月。"
    session.add(project)
    text = text_of(documents.contract_document(session, c, None), tmp_path)
    assert "第一条 本项目专用条款。" in text and "第二条 押金一个月。" in text and "三、押金于合同终止" not in text


# ---------------------------------------------------------------- the import


def test_each_bad_row_is_refused_with_its_reason_and_a_good_file_waits_unconfirmed(session, principal_of, app_site):
    w = world(session, principal_of)
    admin = app_site.admin("contract_imports")
    manager = principal_of("manager")
    occupied = session.exec(
        select(Room.number).where(Room.project_id == w.project_id, Room.status != RoomStatus.VACANT)
    ).first()
    start, end = "2027-01-01", "2027-12-31"
    bad = sheet(
        w,
        [
            (w.rooms[0], w.tenants[0][0], start, end),
            (w.rooms[0], w.tenants[1][0], start, end),  # the same room twice
            (str(occupied), w.tenants[1][0], start, end),
            (w.rooms[1], "110101199001011237", start, end),  # nobody of this company
            (w.rooms[2], w.tenants[2][0], "2027-05-01", "2027-04-01"),
        ],
    )
    preview = io.dry_run(session, admin, manager, bad)
    assert [(e["row"], e["column"]) for e in preview.errors] == [
        ("3", "房间"),
        ("4", "房间"),
        ("5", "租客（证件号码或手机号）"),
        ("6", "到期日"),
    ]
    assert "在本文件中重复" in preview.errors[0]["message"]
    assert "只能导入空闲可租房间的合同" in preview.errors[1]["message"]
    rows = imported(session, app_site, principal_of, bad.head(1))
    row = rows[0]
    room = session.exec(select(Room).where(Room.project_id == w.project_id, Room.number == w.rooms[0])).one()
    assert (row.state, row.bill_mode, row.monthly_rent, row.deposit, row.tenant_ref) == (
        ImportState.PENDING,
        BillMode.SAME_DAY,
        room.rent,
        room.deposit,
        w.tenants[0][0],
    )
    assert room.status == RoomStatus.VACANT and row.import_batch_id is not None
    assert session.exec(select(ContractImport).where(ContractImport.room_id == room.id)).one() == row
    again = io.dry_run(session, admin, manager, bad.head(1))  # the room waits in an import already
    assert again.errors[0]["message"] == f"房间 {w.rooms[0]} 已有待确认或待执行的导入合同"


def test_rows_are_refused_when_the_project_or_company_lacks_its_settings(session, principal_of, app_site):
    w = world(session, principal_of, enabled=False)
    admin = app_site.admin("contract_imports")
    frame = sheet(w, [(w.rooms[0], w.tenants[0][0], "2027-01-01", "2027-12-31")])
    preview = io.dry_run(session, admin, principal_of("manager"), frame)
    assert preview.errors[0]["message"] == "本企业未开通批量代扣（企业参数：代扣开启），不能导入合同"
    world_again = world(session, principal_of)  # enabled, with a second 手工录入 fee lacking its amount
    session.get_one(FeeItem, world_again.fee_id).default_amount = None
    preview = io.dry_run(session, admin, principal_of("manager"), frame)
    assert "的手工录入费项未填写默认金额：网络费" in preview.errors[0]["message"]
    project = session.get_one(Project, w.project_id)
    project.bill_mode = None
    preview = io.dry_run(session, admin, principal_of("manager"), frame)
    assert "未设置账单类型" in preview.errors[0]["message"]


# ---------------------------------------------------------------- confirm, T+1, idempotency, same bills


def test_the_batch_signs_confirmed_imports_once_and_bills_them_as_back_office_signing(demo_db, principal_of, app_site):
    with db.session_scope() as s:
        w = world(s, principal_of)
        rows = imported(
            s,
            app_site,
            principal_of,
            sheet(
                w,
                [
                    (w.rooms[0], w.tenants[0][0], "2027-01-31", "2028-01-30"),
                    (w.rooms[1], w.tenants[1][0], "2027-02-15", "2027-08-14"),
                    (w.rooms[2], w.tenants[2][0], "2027-03-01", "2027-12-31"),
                ],
            ),
        )
        assert act(s, app_site, principal_of, "confirm", rows[:2]).done == 2
        assert act(s, app_site, principal_of, "unconfirm", rows[1:2]).done == 1
        assert s.execute(select(sa.func.count()).where(Bill.contract_id.in_([0]))).scalar_one() == 0
        ids = [r.id for r in rows]
    today = clock.today()
    assert contract_imports.run_batch(today - timedelta(days=1), jobs.SYSTEM)["contract_imports_signed"] == 0
    assert contract_imports.run_batch(today, jobs.SYSTEM) == {
        "contract_imports_signed": 1,
        "contract_imports_failed": 0,
    }
    assert contract_imports.run_batch(today, jobs.SYSTEM) == {
        "contract_imports_signed": 0,
        "contract_imports_failed": 0,
    }
    with db.session_scope() as s:
        done, waiting, untouched = (s.get_one(ContractImport, i) for i in ids)
        assert (done.state, waiting.state, untouched.state) == (
            ImportState.FORMAL,
            ImportState.PENDING,
            ImportState.PENDING,
        )
        real = s.get_one(Contract, done.contract_id)
        assert (real.number, real.source, real.state, real.signed_on) == (
            done.contract_no,
            ContractSource.IMPORT,
            ContractState.SIGNED,
            today,
        )
        assert s.get_one(Room, real.room_id).status == RoomStatus.SIGNED
        imported_bills = schedule_of(s, real.id or 0)
        assert any(b[1] == "网络费" and b[6] == Decimal("80.00") for b in imported_bills)
        assert s.execute(select(sa.func.count()).where(Bill.contract_id == real.id)).scalar_one() == len(imported_bills)
        # The same lease signed in the back office on another room of the same rent: the same schedule.
        twin = s.exec(select(Room).where(Room.project_id == w.project_id, Room.number == w.rooms[5])).one()
        twin.area = s.get_one(Room, real.room_id).area  # a 元/㎡·月 fee costs the same
        s.add(twin)
        contracts = app_site.admin("contracts")
        back_office, _ = crud.create(
            s,
            contracts,
            principal_of("manager"),
            {
                "room_id": str(twin.id),
                "tenant_id": str(real.tenant_id),
                "start_date": "2027-01-31",
                "end_date": "2028-01-30",
                "monthly_rent": str(real.monthly_rent),
                "deposit": str(real.deposit),
                "cycle": real.cycle.value,
                "bill_mode": real.bill_mode.value,
            },
        )
        assert schedule_of(s, back_office.id) == imported_bills
        assert ledger.mismatches(s) == []


def test_a_room_taken_meanwhile_fails_its_row_with_the_reason(demo_db, principal_of, app_site):
    with db.session_scope() as s:
        w = world(s, principal_of)
        rows = imported(
            s, app_site, principal_of, sheet(w, [(w.rooms[3], w.tenants[0][0], "2027-01-01", "2027-06-30")])
        )
        act(s, app_site, principal_of, "confirm", rows)
        s.execute(sa.update(Room).where(Room.id == rows[0].room_id).values(status=RoomStatus.LOCKED))
    assert contract_imports.run_batch(clock.today(), jobs.SYSTEM)["contract_imports_failed"] == 1
    with db.session_scope() as s:
        row = s.get_one(ContractImport, rows[0].id)
        assert (row.state, row.failure, row.contract_id) == (
            ImportState.FAILED,
            "房间当前为不可租，未能生成合同（可删除后重新导入）",
            None,
        )
        assert act(s, app_site, principal_of, "remove", [row]).done == 1


def test_deleting_is_for_rows_not_yet_real_and_a_real_one_blocks_its_batch_by_name(demo_db, principal_of, app_site):
    with db.session_scope() as s:
        w = world(s, principal_of)
        rows = imported(s, app_site, principal_of, sheet(w, leases(w, 2)))
        act(s, app_site, principal_of, "confirm", rows[:1])
    contract_imports.run_batch(clock.today(), jobs.SYSTEM)
    with db.session_scope() as s:
        real = s.get_one(ContractImport, rows[0].id)
        with pytest.raises(crud.Forbidden):  # 删除 applies to 待确认 / 待执行 / 生成失败 only
            act(s, app_site, principal_of, "remove", [real])
        batch = s.get_one(ImportBatch, real.import_batch_id)
        result = batches.cancel(ActionContext(s, principal_of("principal"), [batch], "", {}))
        assert result.done == 0
        assert f"已生成正式合同 {real.contract_no}" in result.refused[0][1]
        assert s.get(ContractImport, rows[1].id) is not None  # nothing removed
    with db.session_scope() as s:  # a batch whose rows are all still waiting goes whole
        w = world(s, principal_of)
        more = imported(
            s, app_site, principal_of, sheet(w, [(w.rooms[4], w.tenants[0][0], "2027-01-01", "2027-12-31")])
        )
        batch = s.get_one(ImportBatch, more[0].import_batch_id)
        assert batches.cancel(ActionContext(s, principal_of("principal"), [batch], "", {})).done == 1
        assert s.get(ContractImport, more[0].id) is None


def test_confirmed_on_a_shanghai_day_is_signed_by_that_days_batch(demo_db, principal_of, app_site):
    late = datetime(2026, 12, 2, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai on 2 December
    with db.session_scope() as s:
        w = world(s, principal_of)
        rows = imported(s, app_site, principal_of, sheet(w, leases(w, 2)))
    with time_machine.travel(late, tick=False), db.session_scope() as s:
        act(s, app_site, principal_of, "confirm", rows[:1])
    with time_machine.travel(late + timedelta(minutes=2), tick=False), db.session_scope() as s:
        act(s, app_site, principal_of, "confirm", rows[1:])  # 00:01 on 3 December
    with db.session_scope() as s:
        assert [s.get_one(ContractImport, r.id).confirmed_on for r in rows] == [date(2026, 12, 2), date(2026, 12, 3)]
    assert contract_imports.run_batch(date(2026, 12, 1), jobs.SYSTEM)["contract_imports_signed"] == 0
    assert jobs.daily(date(2026, 12, 3))["contract_imports_signed"] == 1  # the job runs the day before's batch
    assert jobs.daily(date(2026, 12, 3))["contract_imports_signed"] == 0
    assert jobs.daily(date(2026, 12, 4))["contract_imports_signed"] == 1


def test_staff_change_the_tenants_withholding_card_luhn_checked_and_masked(session, principal_of, app_site):
    w = world(session, principal_of)
    rows = imported(
        session, app_site, principal_of, sheet(w, [(w.rooms[0], w.tenants[0][0], "2027-01-01", "2027-12-31")])
    )
    bad = act(session, app_site, principal_of, "change_card", rows, card_no="4111111111111112", bank_name="招商银行")
    assert bad.refused == [("银行卡号", "银行卡号校验位错误")]
    good = act(
        session, app_site, principal_of, "change_card", rows, card_no="4111 1111 1111 1111", bank_name="招商银行"
    )
    assert good.done == 1 and good.notes == [f"{w.tenants[0][1]} 的代扣银行卡已改为 {mask('bank_card', VISA_TEST)}"]
    again = act(session, app_site, principal_of, "change_card", rows, card_no="5555555555554444", bank_name="")
    assert again.done == 1
    cards = session.exec(
        select(WithholdAgreement.card_no, WithholdAgreement.state, WithholdAgreement.bank_name)
        .where(WithholdAgreement.tenant_id == rows[0].tenant_id)
        .order_by(WithholdAgreement.id)
    ).all()
    assert cards[-2:] == [
        (VISA_TEST, AgreementState.TERMINATED, "招商银行"),
        ("5555555555554444", AgreementState.ACTIVE, "招商银行"),
    ]


def test_the_tenants_number_an_import_names_is_masked_as_the_tenants_own_is(session, principal_of, app_site):
    """租客（证件号码或手机号）holds the tenant's 身份证号 or 手机号: the roles that read those masked on the
    tenant (负责人, 多店店长) read it masked here too, in the detail and the export."""
    from clss_app.admin.query import ListQuery, display

    w = world(session, principal_of)
    number = w.tenants[0][0]
    rows = imported(session, app_site, principal_of, sheet(w, [(w.rooms[0], number, "2027-01-01", "2027-12-31")]))
    admin = app_site.admin("contract_imports")
    for who, shown in (("principal", mask("phone", number)), ("manager", number)):
        p = principal_of(who)
        assert display(session, admin, p, rows, ["tenant_ref"])[0]["tenant_ref"] == shown, who
        frame = io.export_frame(session, admin, p, ListQuery(filters={"import_batch_id": str(rows[0].import_batch_id)}))
        assert frame["租客（证件号码或手机号）"].to_list() == [shown], who


def test_a_forged_save_of_the_signing_settings_never_turns_withholding_on(session, principal_of, app_site):
    """The store's 在线签约设置 form does not offer 代扣开启; one sent anyway (a forged save) is dropped, the
    rest saved; a company or name slipped in is ignored; the system admin's 项目参数 turns it on."""
    project = session.exec(select(Project).where(Project.name == "朝阳青年汇")).one()
    project.withhold_enabled = False
    session.add(project)
    session.flush()
    company = project.company_id
    forged = {
        "contract_terms": "条款",
        "withhold_enabled": "true",
        "withhold_day": "5",
        "bill_mode": project.bill_mode.value,
        "pay_cycle": project.pay_cycle.value,
        "company_id": str(company + 1),
        "name": "改名",
    }
    for who in ("principal", "multistore", "manager"):
        session.refresh(project)
        crud.update(session, app_site.admin("signing_settings"), principal_of(who), project.id, forged, project.version)
        session.refresh(project)
        assert (project.withhold_enabled, project.company_id, project.name) == (False, company, "朝阳青年汇"), who
    sysadmin = principal_of("sysadmin")
    crud.update(session, app_site.admin("project_params"), sysadmin, project.id, forged, project.version)
    session.refresh(project)
    assert project.withhold_enabled and project.withhold_day == 5

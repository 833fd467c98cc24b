"""Row actions apply where their ``when`` says: the rule in plain Python (Action.applies), its start-up
checks, the server's refusal of an action on a row outside it (nothing written), and what the bulk
bar may offer for every row a query matches (one query, no rows loaded)."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app.admin import Action, ActionResult, approve_reject, crud
from clss_app.admin.query import ListQuery, applicable_to_all
from clss_app.services.permissions import Forbidden
from clss_app.site import app_site
from models import AuditLog, Bill, BillState, ContractState, Role, RoomStatus
from tests.unit.declarations import room_problems


def _action(key: str, name: str) -> Action:
    return next(a for a in app_site().admin(key).actions if a.name == name)


def _noop(ctx):
    return ActionResult(done=len(ctx.rows))


# ---------------------------------------------------------------- the rule, plain Python


def test_an_action_applies_to_the_states_it_names():
    pay, refund_done = _action("bills", "pay"), _action("bills", "refund_done")
    confirmed, partly = SimpleNamespace(state=BillState.CONFIRMED), SimpleNamespace(state=BillState.PARTLY_PAID)
    unconfirmed = SimpleNamespace(state=BillState.UNCONFIRMED)
    assert pay.applies(confirmed) and pay.applies(partly) and not pay.applies(unconfirmed)
    assert not refund_done.applies(confirmed)
    assert (
        refund_done.why_not(confirmed) == "当前为已确认"
        and refund_done.why_not(SimpleNamespace(state=None)) == "当前为空"
    )
    assert refund_done.applies(SimpleNamespace(state=BillState.OFFLINE_REFUND))


def test_an_action_without_when_applies_to_every_row():
    unlock = _action("users", "unlock")
    assert unlock.when == {} and unlock.applies(SimpleNamespace()) and unlock.why_not(object()) == ""


def test_every_column_of_when_must_hold():
    a = Action("x", "测试", _noop, {Role.STORE_MANAGER}, when={"status": (RoomStatus.VACANT,), "visible": (True,)})
    assert a.applies(SimpleNamespace(status=RoomStatus.VACANT, visible=True))
    assert not a.applies(SimpleNamespace(status=RoomStatus.VACANT, visible=False))
    assert a.why_not(SimpleNamespace(status=RoomStatus.LOCKED, visible=True)) == "当前为不可租"


def test_the_row_button_is_the_declared_primary_of_each_state():
    """What each list's row shows as its button, by state (the declarations in pages/)."""
    contracts = app_site().admin("contracts")
    primary = {
        s: next((a.name for a in contracts.actions if a.primary and a.applies(SimpleNamespace(state=s))), "")
        for s in ContractState
    }
    assert primary[ContractState.SIGNED] == "check_in" and primary[ContractState.ACTIVE] == "check_out"
    assert primary[ContractState.EXPIRED] == "" and primary[ContractState.CLOSED] == ""
    bills = app_site().admin("bills")
    firsts = {
        s: next((a.name for a in bills.actions if a.primary and a.applies(SimpleNamespace(state=s))), "")
        for s in BillState
    }
    assert firsts[BillState.UNCONFIRMED] == "confirm" and firsts[BillState.CONFIRMED] == "pay"
    assert firsts[BillState.OFFLINE_REFUND] == "refund_done" and firsts[BillState.PAID] == ""
    assert _action("appointments", "visited").primary and _action("check_outs", "check_out").primary
    approve, reject = approve_reject(lambda approve: _noop, {Role.PRINCIPAL}, when={"state": (BillState.CONFIRMED,)})
    assert approve.primary and not reject.primary and approve.when == reject.when


# ---------------------------------------------------------------- start-up checks


def _with(when=None, primary=False, **options) -> list[str]:
    return room_problems(
        actions=[Action("lock", "锁定", _noop, {Role.SUPER_ADMIN}, when=when or {}, primary=primary)], **options
    )


def test_a_good_when_passes():
    assert _with({"status": (RoomStatus.VACANT,)}, primary=True) == []


@pytest.mark.parametrize(
    "when,options,expected",
    [
        (
            {"statsu": (RoomStatus.VACANT,)},
            {},
            "RoomAdmin.actions['lock'].when: `statsu`: no such column on Room; did you mean `status`?",
        ),
        (
            {"status": ("vacnt",)},
            {},
            "RoomAdmin.actions['lock'].when: `status`: 'vacnt' is not a RoomStatus",
        ),
        (
            {"status": (BillState.CONFIRMED,)},
            {},
            "RoomAdmin.actions['lock'].when: `status`: <BillState.CONFIRMED: 'confirmed'> is not a RoomStatus",
        ),
        ({"status": RoomStatus.VACANT}, {}, "RoomAdmin.actions['lock'].when: `status`: must be a non-empty tuple"),
        ({"status": ()}, {}, "RoomAdmin.actions['lock'].when: `status`: must be a non-empty tuple"),
        (
            {"status": (RoomStatus.VACANT,)},
            {"only": {"status": (RoomStatus.LOCKED,)}},
            "RoomAdmin.actions['lock'].when: `status`: applies to no row of this list",
        ),
    ],
)
def test_a_bad_when_is_named(when, options, expected):
    problems = _with(when, **options)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_when_that_is_no_dict_and_a_primary_that_is_no_bool_are_named():
    assert any("when: must be a dict" in p for p in _with(when=[("status", (RoomStatus.VACANT,))]))
    assert any("primary: must be True or False" in p for p in _with(primary="yes"))


def test_the_app_declares_only_good_whens():
    assert not [p for p in app_site().check() if ".when" in p.option]


# ---------------------------------------------------------------- the server refuses


def _audit_rows(session) -> int:
    return session.exec(select(sa.func.count()).select_from(AuditLog)).one()


def test_an_action_on_a_row_outside_its_when_is_refused_by_name_and_writes_nothing(session, principal_of):
    finance = principal_of("finance")
    bill = session.exec(select(Bill).where(Bill.project_id == 1, Bill.state == BillState.CONFIRMED)).first()
    owed = session.exec(select(Bill).where(Bill.project_id == 1, Bill.state == BillState.OFFLINE_REFUND)).first()
    before, audits = (bill.state, bill.version), _audit_rows(session)
    admin = app_site().admin("bills")
    with pytest.raises(Forbidden) as exc:
        crud.run_action(session, admin, _action("bills", "refund_done"), finance, ids=[bill.id])
    assert str(exc.value) == f"不能执行“确认退款”：{bill.title}（当前为已确认）。请刷新后重试"
    ids = [bill.id] + ([owed.id] if owed is not None else [])  # one row outside is enough: none is touched
    with pytest.raises(Forbidden, match=bill.title):
        crud.run_action(session, admin, _action("bills", "refund_done"), finance, ids=ids)
    session.expire_all()
    assert (session.get(Bill, bill.id).state, session.get(Bill, bill.id).version) == before
    if owed is not None:
        assert session.get(Bill, owed.id).state == BillState.OFFLINE_REFUND
    assert _audit_rows(session) == audits


def test_many_rows_outside_are_named_three_and_counted(session, principal_of):
    manager = principal_of("manager")
    paid = session.exec(select(Bill).where(Bill.project_id == 1, Bill.state == BillState.PAID).limit(5)).all()
    with pytest.raises(Forbidden) as exc:
        crud.run_action(
            session, app_site().admin("bills"), _action("bills", "confirm"), manager, ids=[b.id for b in paid]
        )
    assert str(exc.value).count("当前为已收款") == 3 and "等 5 条" in str(exc.value)


def test_the_row_applicable_action_still_runs(session, principal_of):
    finance = principal_of("finance")
    bill = session.exec(select(Bill).where(Bill.project_id == 1, Bill.state == BillState.CONFIRMED)).first()
    out = crud.run_action(
        session, app_site().admin("bills"), _action("bills", "pay"), finance, ids=[bill.id], raw={"receipt_no": "R9"}
    )
    assert out.done == 1 and session.get(Bill, bill.id).state == BillState.PAID


# ---------------------------------------------------------------- every matching row, by a query


def test_what_applies_to_every_matching_row(session, principal_of):
    finance, admin = principal_of("finance"), app_site().admin("bills")
    fin_actions = [a for a in admin.actions if a.name in ("pay", "refund_done")]
    confirmed = ListQuery(filters={"state": "confirmed"})
    assert applicable_to_all(session, admin, finance, confirmed, fin_actions) == ["pay"]
    drafts, store_actions = ListQuery(filters={"state": "unconfirmed"}), [*fin_actions, _action("bills", "confirm")]
    assert applicable_to_all(session, admin, finance, drafts, store_actions) == ["confirm"]
    assert applicable_to_all(session, admin, finance, ListQuery(), fin_actions) == []  # mixed states
    unlock = _action("users", "unlock")
    assert applicable_to_all(session, app_site().admin("users"), principal_of("sysadmin"), ListQuery(), [unlock]) == [
        "unlock"
    ]


def test_the_matching_rows_are_judged_by_one_query_per_column(session, principal_of):
    finance, admin = principal_of("finance"), app_site().admin("bills")
    statements: list[str] = []
    engine = session.get_bind()

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        applicable_to_all(session, admin, finance, ListQuery(filters={"state": "confirmed"}), admin.actions)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and "DISTINCT" in statements[0].upper()

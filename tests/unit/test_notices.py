"""系统公告: who sees a notice (role, company, the branch above, its Shanghai days) and 已读 per user."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import select

from clss_app.admin import crud
from clss_app.core.errors import ValidationFailed
from clss_app.services import notices
from clss_app.ui import bell
from models import Notice, NoticeCompany, NoticeRead, NoticeState, OrgUnit, User

# 23:50 UTC on 31 January is 07:50 on 1 February in Shanghai: already the next business day.
EDGE = datetime(2027, 1, 31, 23, 50, tzinfo=UTC)


def _unit_of(session, login):
    return session.exec(select(User.org_unit_id).where(User.username == login)).one()


def _branch_of(session, login):
    return session.get_one(OrgUnit, _unit_of(session, login)).parent_id


def _notice(session, login="manager", companies=(), **kw):
    n = Notice(
        unit_id=kw.pop("unit_id", None) or _branch_of(session, login),
        title=kw.pop("title", "测试公告"),
        body="内容",
        starts_on=kw.pop("starts_on", date(2027, 1, 1)),
        state=kw.pop("state", NoticeState.PUBLISHED),
        **({"to_store_manager": True} | kw),
    )
    session.add(n)
    session.flush()
    for c in companies:
        session.add(NoticeCompany(notice_id=n.id, company_id=c))
    session.flush()
    return n


def _sees(session, p, n) -> bool:
    return n.id in {x.id for x in notices.unread(session, p)}


def test_a_notice_reaches_the_roles_it_names_in_the_companies_it_names(session, principal_of):
    manager, assistant, finance = principal_of("manager"), principal_of("assistant"), principal_of("finance")
    other_company, other_branch = principal_of("store2"), principal_of("store4")
    mine = _unit_of(session, "manager")
    with time_machine.travel(EDGE, tick=False):
        to_managers = _notice(session)
        assert _sees(session, manager, to_managers) and not _sees(session, assistant, to_managers)
        assert not _sees(session, finance, to_managers)
        same_branch = _branch_of(session, "store2") == _branch_of(session, "manager")
        assert _sees(session, other_company, to_managers) == same_branch  # every company of the branch
        assert _branch_of(session, "store4") != _branch_of(session, "manager")
        assert not _sees(session, other_branch, to_managers)  # another branch's notice: never

        one_company = _notice(session, companies=[mine], to_finance=True)
        assert _sees(session, manager, one_company) and _sees(session, finance, one_company)
        assert not _sees(session, other_company, one_company)
        # a system admin sees none (not an addressee) and drafts and withdrawn ones reach nobody
        assert notices.unread(session, principal_of("sysadmin")) == []
        for state in (NoticeState.DRAFT, NoticeState.WITHDRAWN):
            assert not _sees(session, manager, _notice(session, state=state))


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "shown"),
    [
        (date(2027, 2, 1), None, True),  # starts "tomorrow" by UTC, today in Shanghai
        (date(2027, 1, 1), date(2027, 1, 31), False),  # ended yesterday in Shanghai (today by UTC)
        (date(2027, 1, 1), date(2027, 2, 1), True),  # its last day
        (date(2027, 2, 2), None, False),  # not yet
    ],
)
def test_the_days_a_notice_shows_are_shanghai_days(session, principal_of, starts_on, ends_on, shown):
    manager = principal_of("manager")
    with time_machine.travel(EDGE, tick=False):
        n = _notice(session, starts_on=starts_on, ends_on=ends_on)
        assert _sees(session, manager, n) is shown


def test_read_is_per_user_and_only_for_an_addressee(session, principal_of):
    manager, other_manager, finance = principal_of("manager"), principal_of("store2"), principal_of("finance")
    n = _notice(session, starts_on=date(2026, 1, 1))
    before = len(notices.unread(session, manager))
    assert notices.mark_read(session, manager, saved := n.id)
    assert notices.mark_read(session, manager, saved)  # twice: one receipt
    assert session.exec(select(NoticeRead).where(NoticeRead.notice_id == saved)).all()[0].user_id == manager.user_id
    assert len(notices.unread(session, manager)) == before - 1 and not _sees(session, manager, n)
    if _branch_of(session, "store2") == _branch_of(session, "manager"):
        assert _sees(session, other_manager, n)  # read by one, still unread for the other
    assert not notices.mark_read(session, finance, saved)  # not addressed to 财务: no receipt
    assert len(session.exec(select(NoticeRead).where(NoticeRead.notice_id == saved)).all()) == 1


def test_the_bell_counts_unread_notices_and_reading_one_drops_it(session, principal_of, monkeypatch):
    manager = principal_of("manager")
    n = _notice(session, starts_on=date(2026, 1, 1), title="消防检查")
    session.commit()
    cards = notices.cards(session, manager)
    assert any(c["id"] == str(n.id) and c["title"] == "消防检查" for c in cards)
    monkeypatch.setattr(bell.auth, "principal_for_token", lambda s, token: manager if token == "t" else None)
    assert bell._notices_for("x") is None
    after = bell._notices_for("t", n.id)
    assert after is not None and len(after) == len(cards) - 1 and str(n.id) not in [c["id"] for c in after]


def test_a_system_admin_writes_a_draft_for_its_branch_and_publishes_it(session, principal_of, app_site):
    admin = app_site.admin("notices")
    sysadmin = principal_of("sysadmin")
    raw = {"title": "停水通知", "body": "周六 9:00-12:00 停水", "starts_on": "2026-01-01"}
    with pytest.raises(ValidationFailed) as no_role:
        crud.create(session, admin, sysadmin, raw)
    assert "请至少选择一个接收角色" in no_role.value.errors["to_store_manager"]
    with pytest.raises(ValidationFailed) as backwards:
        crud.create(session, admin, sysadmin, {**raw, "to_store_manager": "true", "ends_on": "2025-12-01"})
    assert "失效日期不能早于生效日期" in backwards.value.errors["ends_on"]
    elsewhere = _unit_of(session, "store4")  # a company of another branch: outside the admin's scope
    with pytest.raises(ValidationFailed) as foreign:
        crud.create(session, admin, sysadmin, {**raw, "to_store_manager": "true", "companies": [elsewhere]})
    assert "不存在或无权访问" in foreign.value.errors["companies"]
    with pytest.raises(ValidationFailed) as not_a_company:  # the branch itself is no company
        crud.create(session, admin, sysadmin, {**raw, "to_store_manager": "true", "companies": [sysadmin.unit_id]})
    assert "只能选择本机构下的企业" in not_a_company.value.errors["companies"]
    row, _ = crud.create(session, admin, sysadmin, {**raw, "to_store_manager": "true", "to_store_assistant": "true"})
    assert (row.unit_id, row.state, row.audience) == (sysadmin.unit_id, NoticeState.DRAFT, "店长、店助 · 全部企业")
    manager = principal_of("manager")
    assert not _sees(session, manager, row)
    publish = next(a for a in admin.actions if a.name == "publish")
    assert crud.run_action(session, admin, publish, sysadmin, ids=[row.id]).done == 1
    assert _sees(session, manager, row)
    withdraw = next(a for a in admin.actions if a.name == "withdraw")
    assert crud.run_action(session, admin, withdraw, sysadmin, ids=[row.id]).done == 1
    assert not _sees(session, manager, row)

"""Issue 18, items 5 and 6: how a list shows a column (width, alignment, ellipsis, state badge), which
filters it shows (primary, 更多筛选, none that cannot matter in a view of one state), and 常用筛选."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clss_app.admin import filter_sets
from clss_app.admin.fields import FieldSpec
from clss_app.admin.look import column_look, tone_of, tones
from clss_app.admin.state import AdminState
from clss_app.core.errors import ValidationFailed
from models import BillState, ContractState, SavedFilter, User
from models.leasing import PayCycle
from tests.unit.test_handler_hardening import _toast
from tests.unit.test_handlers import _state, _token


@pytest.mark.parametrize(
    ("label", "tone"),
    [
        ("待入住", "amber"),
        ("待审核", "amber"),
        ("未确认", "amber"),
        ("部分收款", "amber"),
        ("已完成", "green"),
        ("已收款", "green"),
        ("执行中", "green"),
        ("已关闭", "gray"),
        ("已作废", "gray"),
        ("已到期", "gray"),
        ("已退房", "gray"),
        ("逾期", "red"),
        ("已驳回", "red"),
        ("欠费", "red"),
        ("坏账", "red"),
        ("已确认", "blue"),
    ],
)
def test_a_state_is_coloured_by_what_it_means(label, tone):
    assert tone_of(label) == tone


def test_every_state_of_an_enum_gets_a_badge_and_a_kind_gets_none(app_site):
    bills = app_site.admin("bills")
    assert tones(bills.fields["state"]) == {s.label: tone_of(s.label) for s in BillState}
    assert column_look(bills.fields["state"]).badge
    cycle = FieldSpec("cycle", "付款周期", "enum", enum=PayCycle)  # 按月 / 按季: a kind, not a stage
    assert tones(cycle) == {} and not column_look(cycle).badge
    contracts = app_site.admin("contracts")
    assert tones(contracts.fields["state"])[ContractState.ACTIVE.label] == "green"


def test_column_widths_and_alignment_come_from_the_field_kind(app_site):
    bills = app_site.admin("bills")
    money = column_look(bills.fields["amount"])
    assert (money.width, money.align, money.ellipsis) == ("clss-w-money", "right", False)
    assert "clss-num" in money.classes
    due = column_look(bills.fields["due_date"])
    assert (due.width, due.align, due.ellipsis) == ("clss-w-date", "left", False)
    assert column_look(FieldSpec("n", "数量", "int")).align == "right"
    assert column_look(FieldSpec("at", "时间", "datetime")).width == "clss-w-datetime"
    code = column_look(FieldSpec("number", "编号", "str", max_length=20))
    assert (code.width, code.ellipsis) == ("clss-w-code", False)  # a short code is shown whole
    long = column_look(FieldSpec("remark", "备注", "str", max_length=255))
    assert (long.width, long.ellipsis) == ("clss-w-text", True)  # long text: ellipsis, the whole in a tooltip
    assert column_look(FieldSpec("text", "内容", "text")).ellipsis
    assert column_look(bills.fields["tenant_id"]).ellipsis  # a name picked from another table


def test_three_filters_in_sight_unless_declared(app_site):
    contracts = app_site.admin("contracts")
    primary, more = filter_sets.primary_split(contracts, contracts.filters)
    assert primary == ["project_id", "state", "end_date"]  # declared
    assert more and set(primary) | set(more) == set(contracts.filters) and not set(primary) & set(more)
    meters = app_site.admin("meter_readings")
    primary, more = filter_sets.primary_split(meters, meters.filters)
    assert primary == meters.filters[:3] and more == meters.filters[3:]


def test_a_view_of_one_state_hides_the_filters_that_cannot_matter(session, principal_of, app_site):
    review = app_site.admin("online_review")
    idle = filter_sets.idle_filters(session, review, principal_of("manager"))
    assert "state" in idle  # the view's own column
    assert "checked_out_on" in idle  # a later stage's date: empty for every contract awaiting review
    assert "source" in idle  # one value in the view: every contract awaiting review was signed online
    assert "project_id" not in idle and "end_date" not in idle
    assert filter_sets.idle_filters(session, app_site.admin("contracts"), principal_of("manager")) == []


def _user_id(session, username: str) -> int:
    user = session.exec(select(User).where(User.username == username)).one()
    assert user.id is not None
    return user.id


def test_saved_filter_rules(session):
    me, other = _user_id(session, "manager"), _user_id(session, "assistant")
    with pytest.raises(ValidationFailed) as e:
        filter_sets.save(session, me, "bills", "  ", "f_state=paid")
    assert e.value.errors == {"name": "请填写名称"}
    with pytest.raises(ValidationFailed) as e:
        filter_sets.save(session, me, "bills", "一" * 21, "f_state=paid")
    assert "不能超过 20 个字" in e.value.errors["name"]
    with pytest.raises(ValidationFailed) as e:
        filter_sets.save(session, me, "bills", "空的", "page=3&size=50")
    assert "没有搜索或筛选条件" in e.value.errors["name"]
    row = filter_sets.save(session, me, "bills", " 已收账单 ", "f_state=paid&sort=-due_date&page=4&size=50&q=HT")
    assert row.name == "已收账单" and row.query == "f_state=paid&sort=-due_date&q=HT"  # no page, no size
    with pytest.raises(ValidationFailed) as e:
        filter_sets.save(session, me, "bills", "已收账单", "f_state=refunded")
    assert "已有名为“已收账单”" in e.value.errors["name"]
    filter_sets.save(session, me, "contracts", "已收账单", "f_state=active")  # the same name on another list
    filter_sets.save(session, other, "bills", "已收账单", "f_state=paid")  # another user's own
    assert [s.name for s in filter_sets.saved_for(session, me, "bills")] == ["已收账单"]
    assert row.id is not None
    assert filter_sets.get_owned(session, other, "bills", row.id) is None  # never another user's
    assert filter_sets.get_owned(session, me, "contracts", row.id) is None  # nor on another list
    assert not filter_sets.delete(session, other, "bills", row.id)
    assert filter_sets.delete(session, me, "bills", row.id)
    assert filter_sets.saved_for(session, me, "bills") == []


def test_saved_filters_through_the_handlers(demo_db):
    mine, theirs = _state(AdminState, _token("manager")), _state(AdminState, _token("assistant"))
    mine.load("bills")
    mine.set_filter("state", "paid")
    mine.save_filter({"name": "一" * 21})
    assert "不能超过 20 个字" in mine.save_filter_error
    mine.save_filter({"name": "已收账单"})
    assert mine.save_filter_error == "" and [f["name"] for f in mine.saved_filters] == ["已收账单"]
    saved_id = mine.saved_filters[0]["id"]
    mine.clear_filters()
    assert mine.filters == {}
    mine.apply_saved_filter(saved_id)
    assert mine.filters == {"state": "paid"} and {r["state"] for r in mine.rows} == {"已收款"}

    theirs.load("bills")
    assert theirs.saved_filters == []  # per user
    assert "不存在" in _toast(theirs.apply_saved_filter(saved_id)) and theirs.filters == {}
    assert "不存在" in _toast(theirs.delete_saved_filter(saved_id))
    assert "请求参数无效" in _toast(theirs.apply_saved_filter("1 or 1=1"))
    mine.load("contracts")  # per list
    assert mine.saved_filters == []
    assert "不存在" in _toast(mine.apply_saved_filter(saved_id))
    mine.load("bills")
    mine.delete_saved_filter(saved_id)
    assert mine.saved_filters == []
    from clss_app import db

    with db.session_scope() as s:
        assert s.exec(select(SavedFilter)).all() == []


def test_the_list_state_counts_hidden_filters_and_keeps_a_used_idle_one_in_sight(demo_db):
    st = _state(AdminState, _token("manager"))
    st.load("bills")
    assert st.more_active == 0 and st.idle_filters == []
    st.set_filter("kind", "rent")  # under 更多筛选 (bills show 项目, 账单状态, 应收日期)
    st.set_filter("period_start__gte", "2026-01-01")
    st.set_filter("period_start__lte", "2026-12-31")
    assert st.more_active == 2  # two filters, the range counted once
    st.set_filter("state", "paid")  # in sight: not counted
    assert st.more_active == 2
    st.load("online_review")
    assert "checked_out_on" in st.idle_filters and "state" in st.idle_filters
    st.set_filter("checked_out_on__gte", "2026-01-01")  # a link or an old URL may still ask for it
    assert "checked_out_on" not in st.idle_filters and st.filters == {"checked_out_on__gte": "2026-01-01"}


def test_a_forged_saved_filter_id_finds_nothing(session):
    me = _user_id(session, "manager")
    for forged in (0, -1, 2**63, 10**20):
        assert filter_sets.get_owned(session, me, "bills", forged) is None
        assert not filter_sets.delete(session, me, "bills", forged)

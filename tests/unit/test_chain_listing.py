"""住房链上架 against the sandbox chain: what an application checks (企业参数, each room's fields, one open
application a project), who reviews (the company's own branch's 系统管理员 only), the end-of-day batch
(per-room results, one refused with its reason), a batch that is never doubled (run again, answered
twice, slow, lost, 503), the daily job's step, the results list searched by room number, and the demo."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from clss_app import db
from clss_app.admin import crud
from clss_app.admin.query import ListQuery, fetch_page
from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.results import ActionContext
from clss_app.services import chain_listing, housing_chain
from clss_app.services.permissions import Forbidden
from models import (
    AuditLog,
    ChainApplication,
    ChainApplyState,
    ChainListing,
    ListingState,
    Project,
)
from tests.chain_world import new_project, room, strip
from tests.sandbox_server import sandbox_call

JIANGANJU = "京安居住房租赁有限公司"  # under 北京分行; its 来源平台 is set in the demo
YANYUAN = "燕园公寓管理有限公司"  # under 北京分行; no 来源平台 set


@pytest.fixture
def chain(sandbox_url, monkeypatch) -> str:
    monkeypatch.setenv("CLSS_CHAIN_URL", sandbox_url)
    monkeypatch.setattr(housing_chain, "TIMEOUT", housing_chain.httpx.Timeout(1.0, connect=1.0))
    sandbox_call(sandbox_url, "/sandbox/chain/control", {"reset": True})
    return sandbox_url


def _chain_state(url: str) -> dict:
    with urllib.request.urlopen(url + "/sandbox/chain/state", timeout=30) as r:
        return json.loads(r.read())


def _admin(app_site, key="chain_applications"):
    return app_site.admin(key)


def _project(company=JIANGANJU, name="链上公寓", rooms=5) -> int:
    with db.session_scope() as s:
        return new_project(s, company, name, rooms).id


def _apply(app_site, principal_of, project_id, who="principal"):
    with db.session_scope() as s:
        row, _ = crud.create(s, _admin(app_site), principal_of(who), {"project_id": str(project_id), "remark": ""})
        return row.id


def _act(app_site, principal_of, name, app_id, who="sysadmin", text=""):
    admin = _admin(app_site)
    action = next(a for a in admin.actions if a.name == name)
    with db.session_scope() as s:
        return crud.run_action(s, admin, action, principal_of(who), [app_id], text=text)


def _application(app_id) -> ChainApplication:
    with db.session_scope() as s:
        return s.get_one(ChainApplication, app_id)


def _results(app_id) -> dict[str, ChainListing]:
    with db.session_scope() as s:
        rows = s.exec(select(ChainListing).where(ChainListing.application_id == app_id)).all()
        return {room_of(s, x.room_id): x for x in rows}


def room_of(s, room_id) -> str:
    from models import Room

    return s.get_one(Room, room_id).number


def _approved(app_site, principal_of, rooms=5, name="链上公寓"):
    project_id = _project(rooms=rooms, name=name)
    app_id = _apply(app_site, principal_of, project_id)
    assert _act(app_site, principal_of, "approve", app_id).done == 1
    return project_id, app_id


# ---------------------------------------------------------------- applying


def test_an_application_names_what_the_company_and_each_room_lack(demo_db, app_site, principal_of):
    admin, today = _admin(app_site), clock.today()
    with db.session_scope() as s:  # 燕园 has no 来源平台, and two of its rooms lack fields
        project = new_project(s, YANYUAN, "链上公寓甲", rooms=3)
        strip(s, project.id, "101", latitude=None, cover="")
        strip(s, project.id, "103", external_code="", photos="")
    with db.session_scope() as s, pytest.raises(ValidationFailed) as refused:
        crud.create(s, admin, principal_of("principal2"), {"project_id": str(project.id)})
    message = refused.value.errors["project_id"]
    assert "企业参数未设置来源平台名称、来源平台编码" in message
    assert "2 间房缺少上架必填信息：101（纬度、封面图）；103（来源平台房间编号、介绍图片）" in message
    assert "102" not in message
    with db.session_scope() as s:
        assert s.exec(select(ChainApplication).where(ChainApplication.project_id == project.id)).first() is None

    # Twelve rooms lacking their cover: the first eight named, the rest counted.
    with db.session_scope() as s:
        big = new_project(s, JIANGANJU, "链上公寓乙", rooms=12)
        for k in range(1, 13):
            strip(s, big.id, f"{100 + k}", cover="")
    with db.session_scope() as s, pytest.raises(ValidationFailed) as many:
        crud.create(s, admin, principal_of("principal"), {"project_id": str(big.id)})
    message = many.value.errors["project_id"]
    assert message.startswith("12 间房缺少上架必填信息：101（封面图）") and message.endswith(
        "108（封面图）；等共 12 间"
    )
    assert "企业参数" not in message  # 京安居's platform is set

    # Fixed: the application is made, numbered, with a result row 未上架 for each room.
    with db.session_scope() as s:
        for k in range(1, 13):
            strip(s, big.id, f"{100 + k}", cover="x.png")
    app_id = _apply(app_site, principal_of, big.id)
    made = _application(app_id)
    assert made.number == f"SL{today:%Y%m%d}{made.company_id:04d}002"  # the demo's pending one is 001
    assert (made.state, made.room_count, made.platform_code) == (ChainApplyState.PENDING, 12, "JAJ")
    assert {x.state for x in _results(app_id).values()} == {ListingState.WAITING}
    # One open application a project at a time.
    with db.session_scope() as s, pytest.raises(ValidationFailed) as twice:
        crud.create(s, admin, principal_of("principal"), {"project_id": str(big.id)})
    assert twice.value.errors["project_id"] == f"该项目已有进行中的上架申请（{made.number}），请待其审核或上架完成"
    # The database holds the rule too, whatever the code above it forgot (two heads applying at once).
    with db.session_scope() as s, pytest.raises(IntegrityError), s.begin_nested():
        s.add(ChainApplication(**{**made.model_dump(exclude={"id"}), "number": "SL-TWIN"}))
        s.flush()


def test_only_the_companys_principal_or_its_multi_store_manager_applies(demo_db, app_site, principal_of):
    admin = _admin(app_site)
    project_id = _project()
    for who in ("manager", "finance", "sysadmin"):
        with db.session_scope() as s, pytest.raises(Forbidden):
            crud.create(s, admin, principal_of(who), {"project_id": str(project_id)})
    with db.session_scope() as s, pytest.raises(ValidationFailed) as other:  # another company's project
        crud.create(s, admin, principal_of("principal2"), {"project_id": str(project_id)})
    assert "不存在或无权访问" in other.value.errors["project_id"]
    with db.session_scope() as s, pytest.raises(ValidationFailed):  # a multi-store manager's unassigned project
        crud.create(s, admin, principal_of("multistore"), {"project_id": str(_project(JIANGANJU, "链上公寓丙"))})


# ---------------------------------------------------------------- review


def test_only_the_branch_of_the_company_reviews(demo_db, app_site, principal_of):
    app_id = _apply(app_site, principal_of, _project())
    for who in ("principal", "manager"):
        with pytest.raises(Forbidden):
            _act(app_site, principal_of, "approve", app_id, who)
    # 上海分行's system admin: the row is outside its scope, as if it did not exist.
    refused = _act(app_site, principal_of, "approve", app_id, "sysadmin2")
    assert refused.done == 0 and refused.refused == [(f"#{app_id}", "记录不存在或无权访问")]
    # Even one whose scope reached the company (自定义, or a forged principal) is refused by the rule itself.
    from dataclasses import replace

    wide = replace(principal_of("sysadmin2"), unit_ids=None, project_ids=None)
    with db.session_scope() as s:
        row = s.get_one(ChainApplication, app_id)
        result = chain_listing.review(True)(ActionContext(s, wide, [row], "同意"))
    assert result.refused == [(row.number, "只有企业所属分行的系统管理员可以处理住房链上架申请")]
    assert _application(app_id).state == ChainApplyState.PENDING

    done = _act(app_site, principal_of, "approve", app_id, "sysadmin", "资料齐全")
    assert done.done == 1
    approved = _application(app_id)
    assert (approved.state, approved.review_comment, approved.batch_no) == (
        ChainApplyState.APPROVED,
        "资料齐全",
        "ZL" + approved.number[2:],
    )
    with db.session_scope() as s:
        assert s.get_one(Project, approved.project_id).on_blockchain  # its rooms keep their chain fields now
        audit = s.exec(select(AuditLog).where(AuditLog.resource == "chain_applications", AuditLog.row_id == app_id))
        assert any('"approved"' in (a.after or "") for a in audit)
    with pytest.raises(Forbidden, match="不能执行"):  # approved once: not pending any more
        _act(app_site, principal_of, "approve", app_id)


def test_a_rejection_keeps_its_reason_and_the_company_may_apply_again(demo_db, app_site, principal_of):
    project_id = _project()
    app_id = _apply(app_site, principal_of, project_id)
    with pytest.raises(ValidationFailed):  # a reason is required
        _act(app_site, principal_of, "reject", app_id)
    assert _act(app_site, principal_of, "reject", app_id, text="坐标与地址不符").done == 1
    assert _application(app_id).state == ChainApplyState.REJECTED
    assert {x.reason for x in _results(app_id).values()} == {"申请已驳回：坐标与地址不符"}
    again = _apply(app_site, principal_of, project_id)
    assert _application(again).room_count == 5


# ---------------------------------------------------------------- the batch


def test_the_batch_lists_each_room_once_with_one_refused_by_name(demo_db, app_site, principal_of, chain):
    project_id, app_id = _approved(app_site, principal_of)
    with db.session_scope() as s:
        code = room(s, project_id, "103").external_code
    sandbox_call(chain, "/sandbox/chain/control", {"refuse": {code: "产权信息核验未通过"}})
    today = clock.today()
    done = chain_listing.run_due(today)
    assert done == {"chain_batches_listed": 1, "chain_batches_waiting": 0}
    app = _application(app_id)
    assert (app.state, app.succeeded_count, app.failed_count, app.batch_day, app.attempts, app.note) == (
        ChainApplyState.LISTED,
        4,
        1,
        today,
        1,
        "",
    )
    results = _results(app_id)
    assert results["103"].state == ListingState.FAILED and results["103"].reason == "产权信息核验未通过"
    listed = [x for n, x in results.items() if n != "103"]
    assert {x.state for x in listed} == {ListingState.LISTED} and all(x.chain_code.startswith("ZFL") for x in listed)
    assert {x.day for x in results.values()} == {today}
    assert _chain_state(chain)["batches"] == [app.batch_no]

    # Run again (tomorrow's batch, or twice today): nothing sent, nothing changed.
    assert chain_listing.run_due(today) == {"chain_batches_listed": 0, "chain_batches_waiting": 0}
    with db.session_scope() as s:
        assert chain_listing.send(s, s.get_one(ChainApplication, app_id)) == "当前为上架完成，只有待上架的申请可以发送"
    assert _results(app_id) == results
    assert set(_chain_state(chain)["listed"].values()) == {1}
    with db.session_scope() as s:
        summary = s.exec(select(AuditLog.summary).where(AuditLog.action == "list", AuditLog.row_id == app_id)).one()
    assert summary == f"住房链上架 {app.batch_no}：成功 4 间，失败 1 间"

    # The refused room, fixed, goes in a new application of that room alone.
    with db.session_scope() as s:
        strip(s, project_id, "103", external_code=f"{code}-A")
    second = _apply(app_site, principal_of, project_id)
    assert list(_results(second)) == ["103"]


def test_a_slow_chain_that_loses_its_answers_lists_nothing_twice(demo_db, app_site, principal_of, chain):
    _, app_id = _approved(app_site, principal_of)
    # The chain takes the batch, then answers every attempt too late: the application waits, with why.
    sandbox_call(chain, "/sandbox/chain/control", {"slow_ms": 2500, "slow_next": 3})
    first_day = clock.today() - timedelta(days=1)
    assert chain_listing.run_due(first_day) == {"chain_batches_listed": 0, "chain_batches_waiting": 1}
    app = _application(app_id)
    assert app.state == ChainApplyState.APPROVED and app.attempts == 1 and app.batch_day == first_day
    assert app.note == "住房链暂不可用（ReadTimeout），将在下次日终批量时重试"
    assert {x.state for x in _results(app_id).values()} == {ListingState.WAITING}
    # The next night: the same batch (number and day) is answered as before; each room listed once.
    assert chain_listing.run_due(clock.today())["chain_batches_listed"] == 1
    app = _application(app_id)
    assert (app.state, app.succeeded_count, app.attempts, app.batch_day, app.note) == (
        ChainApplyState.LISTED,
        5,
        2,
        first_day,
        "",
    )
    state = _chain_state(chain)
    assert state["batches"] == [app.batch_no] and len(state["listed"]) == 5 and set(state["listed"].values()) == {1}


def test_a_chain_away_leaves_the_batch_retryable_and_a_repeated_answer_counts_once(
    demo_db, app_site, principal_of, chain
):
    _, app_id = _approved(app_site, principal_of)
    sandbox_call(chain, "/sandbox/chain/control", {"fail_next": 3})  # every attempt of this round: 503
    refused = _act(app_site, principal_of, "list_now", app_id)
    assert refused.done == 0 and "住房链暂不可用（HTTP 503）" in refused.refused[0][1]
    app = _application(app_id)
    assert app.state == ChainApplyState.APPROVED and "HTTP 503" in app.note
    assert _chain_state(chain)["batches"] == []
    # A 503 once, then an answer that lists every room's result twice: each room written once.
    sandbox_call(chain, "/sandbox/chain/control", {"fail_next": 1, "twice": True})
    done = _act(app_site, principal_of, "list_now", app_id)
    assert done.done == 1 and done.notes == [f"{app.number} 上架成功 5 间，失败 0 间"]
    app = _application(app_id)
    assert (app.state, app.succeeded_count, app.failed_count, app.attempts) == (ChainApplyState.LISTED, 5, 0, 2)
    with db.session_scope() as s:
        assert len(s.exec(select(ChainListing).where(ChainListing.application_id == app_id)).all()) == 5
    assert set(_chain_state(chain)["listed"].values()) == {1}
    # Only the company's branch sends it, and only while it waits.
    with pytest.raises(Forbidden):
        _act(app_site, principal_of, "list_now", app_id)


def test_the_chain_refuses_a_room_code_another_room_holds_and_a_room_without_pictures(
    demo_db, app_site, principal_of, chain
):
    one_id, _ = _approved(app_site, principal_of, rooms=2, name="链上公寓丁")
    chain_listing.run_due()
    with db.session_scope() as s:
        taken = room(s, one_id, "101").external_code
        other = new_project(s, JIANGANJU, "链上公寓戊", rooms=2)
        strip(s, other.id, "101", external_code=taken)
        other_id = other.id
    second = _apply(app_site, principal_of, other_id)
    _act(app_site, principal_of, "approve", second)
    with db.session_scope() as s:  # its picture removed after the application was made
        strip(s, other_id, "102", cover="")
    chain_listing.run_due()
    results = _results(second)
    assert (results["101"].state, results["101"].reason) == (ListingState.FAILED, "来源平台房间编号已被其他房源使用")
    assert (results["102"].state, results["102"].reason) == (ListingState.FAILED, "缺少封面或介绍图片")


def test_the_daily_job_runs_the_batch(demo_db, app_site, principal_of, chain):
    from clss_app.services import jobs

    _, app_id = _approved(app_site, principal_of)
    done = jobs.daily()
    assert (done["chain_batches_listed"], done["chain_batches_waiting"]) == (1, 0)
    assert _application(app_id).state == ChainApplyState.LISTED


# ---------------------------------------------------------------- lists and demo


def test_results_are_searched_by_room_number_within_the_viewers_scope(session, app_site, principal_of):
    admin = _admin(app_site, "chain_listings")
    project = session.exec(select(Project).where(Project.name == "海淀家园")).one()
    some = session.exec(select(ChainListing).where(ChainListing.project_id == project.id)).first()
    number = room_of(session, some.room_id)
    q = ListQuery(q=number, filters={"project_id": str(project.id)})
    found = fetch_page(session, admin, principal_of("multistore"), q)
    assert found and all(room_of(session, x.room_id) == number for x in found)
    assert fetch_page(session, admin, principal_of("principal2"), q) == []  # another company's
    failed = fetch_page(session, admin, principal_of("sysadmin"), ListQuery(filters={"state": "failed"}))
    assert [x.reason for x in failed] == ["产权信息核验未通过"]


def test_the_demo_has_a_listed_project_with_one_refusal_and_an_application_waiting(session):
    apps = session.exec(select(ChainApplication).order_by(ChainApplication.id)).all()
    assert [a.state for a in apps] == [ChainApplyState.LISTED, ChainApplyState.PENDING]
    listed = session.exec(select(ChainListing).where(ChainListing.application_id == apps[0].id)).all()
    assert len(listed) == apps[0].room_count == apps[0].succeeded_count + 1
    refused = [x for x in listed if x.state == ListingState.FAILED]
    assert [x.reason for x in refused] == ["产权信息核验未通过"]
    waiting = session.exec(select(ChainListing).where(ChainListing.application_id == apps[1].id)).all()
    assert [x.room_id for x in waiting] == [refused[0].room_id] and waiting[0].state == ListingState.WAITING
    # The demo project's rooms all pass the application's checks (the refused one was corrected).
    assert chain_listing.rooms_to_list(session, apps[0].project_id)[0].id == refused[0].room_id
    assert not any(chain_listing.room_gaps(r) for r in chain_listing.rooms_to_list(session, apps[0].project_id))

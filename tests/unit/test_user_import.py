"""用户导入 against the sandbox 住房云: the ID check digit, the adapter's answers and faults (slow, 503,
answers lost after the work: nothing lost, nobody registered twice), the T+1 batch (idempotent; a
counterpart away leaves rows 待创建 with the reason), 单个新增 checked at once, the edit rules, 运营类
companies refused, 租客信息修改 for one's own company only, and the import batch's 查看 / 取消 for any
scene, with the Shanghai day's edge."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime, timedelta

import httpx
import polars as pl
import pytest
import sqlalchemy as sa
import time_machine
from sqlmodel import col, select

from clss_app import db
from clss_app.admin import crud, io, related
from clss_app.core import clock
from clss_app.core.errors import Forbidden, ValidationFailed
from clss_app.core.privacy import check_digit, id_number_problem
from clss_app.sandbox import housing_cloud as sandbox
from clss_app.services import housing_cloud as hc
from clss_app.services import user_import
from models import AuditLog, BatchState, ImportBatch, ImportedUser, OrgUnit, Tenant, UserImportState, utcnow
from pages.housing import ImportBatchAdmin
from pages.leasing import TenantAdmin
from pages.users import ImportedUserAdmin
from tests.sandbox_server import sandbox_call

S = UserImportState
COMPANY = "京安居住房租赁有限公司"


def _id(first17: str) -> str:
    return first17 + check_digit(first17)


GOOD = [_id(f"1101051990010100{i}") for i in range(1, 6)]
LISTED = list(sandbox.REFUSED)[1]  # the demo imported the first


@pytest.fixture
def cloud(sandbox_url) -> hc.HttpHousingCloud:
    sandbox_call(sandbox_url, "/sandbox/housing-cloud/control", {"reset": True})
    return hc.HttpHousingCloud(sandbox_url, hc.key(), timeout=httpx.Timeout(1.0, connect=1.0))


def _control(url: str, **body) -> None:
    sandbox_call(url, "/sandbox/housing-cloud/control", body)


def _registrations(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/sandbox/housing-cloud/state", timeout=10) as r:
        return json.loads(r.read())["registrations"]


def _person(id_number: str, name: str = "测试甲", phone: str = "13700000001") -> hc.Person:
    return hc.Person(1, name, id_number, phone)


def _company_id(s, name: str = COMPANY) -> int:
    return s.exec(select(OrgUnit.id).where(OrgUnit.name == name)).one()


def _imported(s, n: int, when: datetime, company: str = COMPANY) -> list[int]:
    """``n`` 待创建 rows imported at ``when`` (as the import would leave them)."""
    cid = _company_id(s, company)
    rows = [
        ImportedUser(company_id=cid, name=f"导入{i}", phone=f"1370000{i:04d}", id_number=GOOD[i], created_at=when)
        for i in range(n)
    ]
    s.add_all(rows)
    s.flush()
    return [r.id for r in rows if r.id is not None]


def _states(ids: list[int]) -> list[tuple[UserImportState, str]]:
    with db.session_scope() as s:
        rows = s.exec(select(ImportedUser).where(col(ImportedUser.id).in_(ids)).order_by(col(ImportedUser.id)))
        return [(r.state, r.reason) for r in rows]


# ---------------------------------------------------------------- the ID number and the adapter


def test_id_check_digit_is_gb_11643():
    assert check_digit("11010519491231002") == "X"
    assert id_number_problem("11010519491231002X") == ""
    assert id_number_problem("110105194912310021") == "身份证号校验位不正确"


def test_the_sandbox_refuses_bad_and_listed_ids_and_knows_the_registered(cloud):
    assert cloud.verify(_person("110105194912310021")) == hc.Verdict(hc.REFUSED, "身份证号无效：身份证号校验位不正确")
    listed = next(iter(sandbox.REFUSED))
    assert cloud.verify(_person(listed)) == hc.Verdict(hc.REFUSED, sandbox.REFUSED[listed])
    assert cloud.verify(_person(sorted(sandbox.EXISTING)[0])).code == hc.EXISTS
    first = cloud.verify(_person(GOOD[0]))
    assert first.code == hc.OK and first.user_no
    assert cloud.verify(_person(GOOD[0])) == first  # the same request: the same answer
    other = cloud.verify(_person(GOOD[0], name="测试乙"))  # another request for a registered person
    assert (other.code, other.user_no) == (hc.EXISTS, first.user_no)


def test_a_lost_answer_or_a_busy_cloud_registers_once(cloud, sandbox_url):
    _control(sandbox_url, repeat=2)  # done twice over, the answers lost: the third try reads the answer
    assert cloud.verify(_person(GOOD[1])).code == hc.OK
    _control(sandbox_url, fail_next=2)
    assert cloud.verify(_person(GOOD[2])).code == hc.OK
    assert _registrations(sandbox_url) == {GOOD[1]: 1, GOOD[2]: 1}
    _control(sandbox_url, fail_next=3)
    with pytest.raises(hc.HousingCloudError, match="HTTP 503"):
        cloud.verify(_person(GOOD[3]))


def test_a_bad_signature_is_no_answer(cloud, sandbox_url):
    wrong = hc.HttpHousingCloud(sandbox_url, "another-key", attempts=1)
    with pytest.raises(hc.HousingCloudError):
        wrong.verify(_person(GOOD[0]))


# ---------------------------------------------------------------- T+1


def test_the_nightly_batch_checks_yesterdays_rows_once(demo_db, cloud, sandbox_url):
    today = clock.today()
    with db.session_scope() as s:
        ids = _imported(s, 3, utcnow() - timedelta(days=1))
        s.get_one(ImportedUser, ids[1]).id_number = LISTED
        waiting_today = _imported(s, 1, utcnow(), company="燕园公寓管理有限公司")
    done = user_import.run_due(today, cloud)
    assert (done["users_created"], done["users_failed"]) == (2, 1)
    assert _states(ids) == [(S.CREATED, ""), (S.FAILED, sandbox.REFUSED[LISTED]), (S.CREATED, "")]
    assert _states(waiting_today) == [(S.PENDING, "")]  # imported today: tomorrow's batch
    with db.session_scope() as s:
        tenants = s.exec(select(ImportedUser.tenant_id).where(col(ImportedUser.id).in_(ids))).all()
        assert all(s.get_one(Tenant, t).company_id == _company_id(s) for t in tenants if t)
        count = len(s.exec(select(Tenant.id)).all())
    again = user_import.run_due(today, cloud)  # run again: nothing to do, nothing made twice
    assert sum(again.values()) == 0
    with db.session_scope() as s:
        assert len(s.exec(select(Tenant.id)).all()) == count
    assert set(_registrations(sandbox_url).values()) == {1}


def test_a_cloud_away_leaves_rows_waiting_with_the_reason_then_the_next_batch_takes_them(demo_db, cloud, sandbox_url):
    today = clock.today()
    with db.session_scope() as s:
        ids = _imported(s, 2, utcnow() - timedelta(days=1))
    _control(sandbox_url, slow_ms=1500)  # past the client's 1 s: the work is done, the answer never arrives
    done = user_import.run_due(today, cloud)
    assert done["users_waiting"] == 2
    assert all(state == S.PENDING and "住房云暂不可用" in why and "ReadTimeout" in why for state, why in _states(ids))
    _control(sandbox_url, slow_ms=0, fail_next=6)  # then busy: two rows, three tries each
    assert user_import.run_due(today, cloud)["users_waiting"] == 2
    assert all("HTTP 503" in why for _, why in _states(ids))
    assert user_import.run_due(today, cloud)["users_created"] == 2  # back: the same requests, answered
    assert _states(ids) == [(S.CREATED, ""), (S.CREATED, "")]
    assert _registrations(sandbox_url) == {GOOD[0]: 1, GOOD[1]: 1}


def test_the_daily_job_runs_the_check(demo_db, sandbox_url, monkeypatch):
    from clss_app.services import jobs

    monkeypatch.setenv("CLSS_PAY_URL", sandbox_url)
    monkeypatch.setenv("CLSS_BANK_URL", sandbox_url)
    _control(sandbox_url, reset=True)
    with db.session_scope() as s:
        ids = _imported(s, 1, utcnow() - timedelta(days=1))
    assert jobs.daily()["users_created"] == 1
    assert _states(ids) == [(S.CREATED, "")]


# ---------------------------------------------------------------- the page's rules


def _raw(**kw) -> dict[str, str]:
    return {"name": "单个甲", "phone": "13712345678", "id_number": GOOD[4], "company_id": COMPANY, **kw}


def test_single_add_checks_at_once_when_asked(demo_db, sandbox_url, monkeypatch, principal_of):
    monkeypatch.setenv("CLSS_HOUSING_CLOUD_URL", sandbox_url)
    _control(sandbox_url, reset=True)
    p = principal_of("manager")
    with db.session_scope() as s:
        row, note = crud.create(s, ImportedUserAdmin, p, _raw(create_now="true"))
        assert (row.state, note) == (S.CREATED, "住房云验证通过，已创建客户")
        assert s.get_one(Tenant, row.tenant_id).name == "单个甲"
        row, note = crud.create(s, ImportedUserAdmin, p, _raw(id_number=LISTED, phone="13712345679"))
        assert row.state == S.PENDING and "夜间跑批" in note  # not asked: waits for the batch
    _control(sandbox_url, fail_next=3)
    with db.session_scope() as s:
        row, note = crud.create(
            s, ImportedUserAdmin, p, _raw(id_number=GOOD[3], phone="13712345670", create_now="true")
        )
        assert row.state == S.PENDING and "HTTP 503" in row.reason and "夜间跑批时重新验证" in note


def test_created_rows_are_read_only_and_failed_ones_go_back_to_waiting(demo_db, principal_of):
    p = principal_of("manager")
    with db.session_scope() as s:
        created, failed = _imported(s, 2, utcnow())
        s.get_one(ImportedUser, created).state = S.CREATED
        s.get_one(ImportedUser, failed).state, s.get_one(ImportedUser, failed).reason = S.FAILED, "公安核验未通过"
    with db.session_scope() as s:
        with pytest.raises(Forbidden, match="当前为创建成功，不可编辑"):
            crud.update(s, ImportedUserAdmin, p, created, _raw(name="改名", id_number=GOOD[0]), 1)
        row, note = crud.update(s, ImportedUserAdmin, p, failed, _raw(name="改正", id_number=GOOD[1]), 1)
        assert (row.state, row.reason, row.name) == (S.PENDING, "", "改正") and "待创建" in note


def test_operating_companies_are_refused_user_import(demo_db, principal_of):
    p = principal_of("principal3")  # 申城安居: 运营类
    sheet = pl.DataFrame(
        [
            {"姓名": "运营甲", "手机号": "13811112222", "身份证号": GOOD[0], "所属企业": "申城安居企业管理有限公司"},
        ]
    )
    with db.session_scope() as s:
        preview = io.dry_run(s, ImportedUserAdmin, p, sheet)
        assert [(e["row"], e["column"], e["message"]) for e in preview.errors] == [
            ("2", "所属企业", "运营类企业不开放用户导入")
        ]
        with pytest.raises(ValidationFailed) as refused:
            crud.create(s, ImportedUserAdmin, p, _raw(company_id="申城安居企业管理有限公司"))
        assert refused.value.errors == {"company_id": "运营类企业不开放用户导入"}


def test_an_import_reports_each_bad_row_then_commits_a_batch_of_waiting_rows(demo_db, principal_of):
    p = principal_of("manager")
    good = [
        {"姓名": f"批量{i}", "手机号": f"1381111000{i}", "身份证号": GOOD[i], "所属企业": COMPANY} for i in range(3)
    ]
    bad = [
        {"姓名": "错号", "手机号": "13811110009", "身份证号": "110105194912310021", "所属企业": COMPANY},
        {"姓名": "错手机", "手机号": "2381111000", "身份证号": GOOD[4], "所属企业": COMPANY},
        {**good[0], "姓名": "重复"},
    ]
    with db.session_scope() as s:
        preview = io.dry_run(s, ImportedUserAdmin, p, pl.DataFrame(good + bad))
        assert preview.total == 6
        assert [(e["row"], e["column"]) for e in preview.errors] == [
            ("5", "身份证号"),
            ("6", "手机号"),
            ("7", "身份证号"),
        ]
        assert "create_now" not in io.import_columns(ImportedUserAdmin, p)
        with pytest.raises(crud.ValidationFailed):
            io.commit(s, ImportedUserAdmin, p, preview)
        preview = io.dry_run(s, ImportedUserAdmin, p, pl.DataFrame(good))
        assert io.commit(s, ImportedUserAdmin, p, preview, "用户.xlsx") == 3
        batch = s.exec(select(ImportBatch).order_by(col(ImportBatch.id).desc())).first()
        assert (batch.resource, batch.scene, batch.total) == ("user_imports", "用户导入", 3)
        rows = s.exec(select(ImportedUser).where(ImportedUser.import_batch_id == batch.id)).all()
        assert {r.state for r in rows} == {S.PENDING} and not any(r.create_now for r in rows)


def test_a_company_edits_only_its_own_tenants(demo_db, principal_of):
    p = principal_of("manager")
    with db.session_scope() as s:
        own = s.exec(select(Tenant).where(Tenant.company_id == _company_id(s))).first()
        other = s.exec(select(Tenant).where(Tenant.company_id == _company_id(s, "燕园公寓管理有限公司"))).first()
        assert user_import.tenant_edit_problem(p, own) == ""
        assert user_import.tenant_edit_problem(p, other) == "只能修改本企业创建的租客"
        assert TenantAdmin.validate(s, p, {"name": "x"}, other) == {"name": "只能修改本企业创建的租客"}
        raw = {"name": "改名租客", "phone": own.phone, "id_number": own.id_number, "company_id": str(own.company_id)}
        row, _ = crud.update(s, TenantAdmin, p, own.id, raw, own.version)
        assert row.name == "改名租客"


# ---------------------------------------------------------------- 导入批次管理, for any scene


def _cancel(s, p, batch_id):
    action = next(a for a in ImportBatchAdmin.actions if a.name == "cancel")
    return crud.run_action(s, ImportBatchAdmin, action, p, ids=[batch_id])


def _user_batch(s, p, when: datetime, n: int = 2) -> tuple[int, list[int]]:
    batch = ImportBatch(
        title="用户导入 测试",
        resource="user_imports",
        scene="用户导入",
        username=p.username,
        org_unit_id=p.unit_id,
        total=n,
        created_at=when,
    )
    s.add(batch)
    s.flush()
    ids = _imported(s, n, when)
    for i in ids:
        s.get_one(ImportedUser, i).import_batch_id = batch.id
    s.flush()
    assert batch.id is not None
    return batch.id, ids


def test_a_user_batch_is_viewed_in_its_own_list_and_cancelled_only_while_nobody_was_created(demo_db, principal_of):
    p = principal_of("principal")
    with db.session_scope() as s:
        batch_id, ids = _user_batch(s, p, utcnow())
        tab = related.tabs(s, ImportBatchAdmin, p, s.get_one(ImportBatch, batch_id))[0]
        assert (tab.label, tab.count) == ("导入的用户", "2")
        assert tab.href == f"/users/imports?f_import_batch_id={batch_id}"
        tenant = Tenant(company_id=p.unit_id, name="已建", phone="13799990000", id_number=GOOD[4])
        s.add(tenant)
        s.flush()
        s.get_one(ImportedUser, ids[0]).tenant_id = tenant.id
        result = _cancel(s, p, batch_id)
        assert result.done == 0 and "导入0已创建客户" in result.refused[0][1]
        s.get_one(ImportedUser, ids[0]).tenant_id = None
        assert _cancel(s, p, batch_id).done == 1
        assert s.exec(select(ImportedUser).where(col(ImportedUser.id).in_(ids))).all() == []
        assert s.get_one(ImportBatch, batch_id).state == BatchState.CANCELLED
        with pytest.raises(Forbidden):  # the action no longer applies: 已撤销
            _cancel(s, p, batch_id)


@pytest.mark.parametrize(
    ("imported_at", "cancels"),
    [
        (datetime(2026, 11, 30, 16, 5, tzinfo=UTC), True),  # 00:05 on 1 December in Shanghai: today
        (datetime(2026, 11, 30, 15, 55, tzinfo=UTC), False),  # 23:55 on 30 November in Shanghai: yesterday
    ],
)
def test_today_is_shanghais_day_at_2350_utc_on_a_months_last_day(demo_db, principal_of, imported_at, cancels):
    p = principal_of("principal")
    with time_machine.travel(datetime(2026, 11, 30, 23, 50, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 12, 1)
        with db.session_scope() as s:
            batch_id, _ = _user_batch(s, p, imported_at)
            result = _cancel(s, p, batch_id)
            assert (result.done == 1) is cancels
            if not cancels:
                assert result.refused[0][1] == "只能撤销当天导入的批次"


def test_a_batch_of_an_unknown_scene_shows_no_tab_and_does_not_cancel(demo_db, principal_of):
    p = principal_of("principal")
    with db.session_scope() as s:
        batch = ImportBatch(title="旧场景", resource="gone", scene="旧场景", org_unit_id=p.unit_id, created_at=utcnow())
        s.add(batch)
        s.flush()
        assert related.tabs(s, ImportBatchAdmin, p, batch) == []
        assert _cancel(s, p, batch.id).refused[0][1] == "该导入模块不支持撤销"


def test_a_cell_holding_a_nul_is_refused_at_its_row_not_at_the_save(demo_db, principal_of):
    """A NUL pasted into a cell (or sent in a form) is refused next to its field: PostgreSQL's text holds
    none, so it would otherwise fail the whole import at the insert, naming no row."""
    rows = [
        {"姓名": "乙\x00丙", "手机号": "13811110003", "身份证号": GOOD[0], "所属企业": COMPANY},
        {"姓名": "=cmd|' /C calc'!A0", "手机号": "13811110004", "身份证号": GOOD[1], "所属企业": COMPANY},
    ]
    with db.session_scope() as s:
        preview = io.dry_run(s, ImportedUserAdmin, principal_of("manager"), pl.DataFrame(rows))
    assert [(e["row"], e["column"]) for e in preview.errors] == [("2", "姓名")]
    assert "NUL" in preview.errors[0]["message"]


def test_two_cancels_of_one_batch_at_once_cancel_it_once(demo_db, principal_of):
    """Both read the batch 已导入; the second to write finds it 已撤销 (a conditional update), not a second
    撤销 with its own audit entry over the first one's name and time."""
    from clss_app.admin import batches

    p = principal_of("principal")
    with db.session_scope() as s:
        batch_id, _ = _user_batch(s, p, utcnow())
        stale = s.get_one(ImportBatch, batch_id)
        assert stale.state == BatchState.IMPORTED
        s.execute(  # the other cancel, done meanwhile
            sa.update(ImportBatch)
            .where(col(ImportBatch.id) == batch_id)
            .values(state=BatchState.CANCELLED, version=ImportBatch.version + 1)
            .execution_options(synchronize_session=False)
        )
        entries = s.exec(select(AuditLog).where(AuditLog.action == "cancel_import")).all()
        assert batches._cancel_one(s, p, stale) == "该批次已撤销"
        assert s.exec(select(AuditLog).where(AuditLog.action == "cancel_import")).all() == entries


def test_only_a_role_that_imports_a_scene_cancels_its_batches(demo_db, principal_of):
    """The branch's 系统管理员 sees the company's batches, but may not import users: nor may it delete a
    company's imported users by cancelling their batch (the manual: the user who imports cancels)."""
    p = principal_of("principal")
    with db.session_scope() as s:
        batch_id, ids = _user_batch(s, p, utcnow())
        result = _cancel(s, principal_of("sysadmin"), batch_id)
        assert result.done == 0 and result.refused == [("用户导入 测试", "您的角色不能办理用户导入，不能撤销该批次")]
        assert len(s.exec(select(ImportedUser).where(col(ImportedUser.id).in_(ids))).all()) == 2
        assert s.get_one(ImportBatch, batch_id).state == BatchState.IMPORTED
        assert _cancel(s, p, batch_id).done == 1

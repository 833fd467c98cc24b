"""Reflex event handlers called directly, as a hostile client could call them.

Every public handler is callable by any browser with any arguments, so each
one must refuse on the server: no session, the wrong role, a row outside
the data scope.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import reflex as rx
import sqlalchemy as sa
from sqlmodel import select

import clss_app.clss_app  # noqa: F401  (registers the admins and page loaders)
from clss_app import db
from clss_app.admin.dashboard import DashboardState
from clss_app.admin.state import AdminState
from clss_app.demo import DEMO_PASSWORD
from clss_app.services import auth
from clss_app.state import AuthState
from models import Project, User, UserSession, utcnow


def _state(cls, token=""):
    root = rx.State(_reflex_internal_init=True)
    st = root.get_substate(cls.get_full_name().split(".")[1:])
    if token:
        root.get_substate(AuthState.get_full_name().split(".")[1:]).token = token
    return st


def _run(coro):
    """An async handler's coroutine, on a loop of its own (Playwright's may be running in this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _collect(agen) -> list:
    """What an async generator handler yields, run to its end."""

    async def run():
        return [e async for e in agen]

    return _run(run())


def _token(username):
    with db.session_scope() as s:
        return auth.login(s, username, DEMO_PASSWORD).token


def _lock(username):
    with db.session_scope() as s:
        u = s.exec(select(User).where(User.username == username)).one()
        u.locked_until = utcnow() + timedelta(minutes=10)
        s.add(u)
        return u.id


def _locked(username):
    with db.session_scope() as s:
        u = s.exec(select(User).where(User.username == username)).one()
        return u.locked_until is not None


def _is_redirect_to_login(spec):
    """The router's redirect (logout) or a full page load (a refused event: see AuthState._to_login)."""
    r = repr(spec)
    return ("_redirect" in r or "window.location.assign" in r) and "/login" in r


def _is_error_toast(spec, text):
    return "toast" in repr(spec) and text in repr(spec)


def _unlock_via_handler(token, user_id):
    st = _state(AdminState, token)
    st.admin_key = "users"
    st.selected = [str(user_id)]
    st.ask_action("unlock")  # the dialog opens on the ticked rows; run_action acts on those
    return st.run_action()


def test_unlock_without_session_is_refused(demo_db):
    uid = _lock("store2")
    assert _is_redirect_to_login(_unlock_via_handler("", uid))
    assert _locked("store2")


def test_unlock_with_wrong_role_is_refused(demo_db):
    uid = _lock("store2")
    assert _is_error_toast(_unlock_via_handler(_token("principal"), uid), "无权")
    assert _locked("store2")


def test_unlock_out_of_scope_row_is_refused(demo_db):
    uid = _lock("principal3")  # 申城安居, under 上海分行
    spec = _unlock_via_handler(_token("sysadmin"), uid)  # 北京分行
    assert "记录不存在或无权访问" in repr(spec) and "成功 0 条" in repr(spec)
    assert _locked("principal3")


def test_unlock_in_scope_row_by_system_admin_works(demo_db):
    uid = _lock("store2")  # 燕园, under 北京分行
    spec = _unlock_via_handler(_token("sysadmin"), uid)
    assert "解锁账号成功 1 条" in repr(spec)
    assert not _locked("store2")


def test_staff_list_is_limited_to_scope_and_refused_to_store_roles(demo_db):
    st = _state(AdminState, _token("sysadmin"))
    assert st.load("users")[-1].fn.__qualname__ == "AdminState.load_count"  # rows first, count next
    st.load_count()
    names = {r["username"] for r in st.rows}
    assert "principal2" in names and "principal3" not in names and "super" not in names
    assert st.total == len(names)

    st = _state(AdminState, _token("manager"))
    assert _is_error_toast(st.load("users"), "无权")
    assert st.rows == [] and st.total == 0

    st = _state(AdminState)
    assert _is_redirect_to_login(st.load("users"))
    assert st.rows == []


def test_home_summary_counts_only_the_users_projects(demo_db):
    st = _state(DashboardState, _token("manager"))
    _collect(st.load_dashboard("home"))  # a generator: clears the previous figures, then loads
    with db.session_scope() as s:
        manager = s.exec(select(User).where(User.username == "manager")).one()
        from models import Room, UserProject

        pids = s.exec(select(UserProject.project_id).where(UserProject.user_id == manager.id)).all()
        rooms = len(s.exec(select(Room.id).where(Room.project_id.in_(pids))).all())
        names = set(s.exec(select(Project.name).where(Project.id.in_(pids))).all())
    assert st.stats["projects"] == str(len(pids)) == "1"
    assert st.stats["rooms"] == f"{rooms:,}"
    assert {p["name"] for p in st.tables["projects"]} == names
    assert list(st.figures["status"].data[0].y) and sum(st.figures["status"].data[0].y) == rooms

    st = _state(DashboardState)
    assert any(_is_redirect_to_login(e) for e in _collect(st.load_dashboard("home")) if e is not None)
    assert st.stats == {}


def test_a_first_look_sends_the_numbers_and_first_row_of_charts_before_the_rest(demo_db):
    from pages.analytics import AnalyticsDashboard

    st = _state(DashboardState, _token("principal"))
    seen = []

    async def steps():
        async for _ in st.load_dashboard("dashboard"):
            seen.append((dict(st.stats), list(st.figures)))

    _run(steps())
    first = AnalyticsDashboard.first_row_charts()
    every = [w.key for w in AnalyticsDashboard.widgets if hasattr(w, "figure")]
    assert first == ["collection", "leasing"] and len(every) > len(first)
    assert seen[0] == ({}, [])  # another dashboard's figures are cleared first
    assert seen[1][0] and seen[1][1] == first  # the numbers with the first row only
    assert sorted(st.figures) == sorted(every)  # then every chart

    seen.clear()
    _run(steps())  # looked at again: the charts on screen are updated in one step
    assert all(sorted(keys) == sorted(every) for _, keys in seen)


def test_page_guard_marks_forbidden_pages(demo_db):
    from clss_app.admin.state import AdminState
    from pages.home import HOME_LOAD

    st = _state(AuthState, _token("finance"))
    _run(st.enter_page("users"))
    assert st.page_status == "forbidden" and st.role_label == "财务"
    _run(st.enter_page("payments"))
    assert st.page_status == "ok"
    assert "users" not in st.allowed_keys and "payments" in st.allowed_keys

    assert _run(st.enter_page("users")) is None  # the data loader is not even started

    # A list is loaded in the guard's own event (one round trip): its rows are there when it returns,
    # and the count follows as the list's own next event.
    admin = _state(AuthState, _token("sysadmin"))
    after = _run(admin.enter_page("users"))
    listing = admin.get_substate(AdminState.get_full_name().split(".")[2:])
    assert listing.admin_key == "users" and listing.rows
    assert any(getattr(getattr(e, "fn", None), "__qualname__", "").endswith("load_count") for e in after)
    # A loader that yields (the home page's) stays an event of its own.
    home = _run(admin.enter_page("home"))
    assert home is HOME_LOAD

    anon = _state(AuthState)
    assert _is_redirect_to_login(_run(anon.enter_page("home")))
    assert anon.page_status == "loading"


def test_login_and_logout_handlers(demo_db):
    st = _state(AuthState)
    _run(st.login({"username": "manager", "password": "wrong-pass1"}))
    assert st.token == "" and st.login_error == auth.FAILED and st.login_error_field == "password"
    _run(st.login({"username": "manager", "password": DEMO_PASSWORD}))
    assert st.token and st.login_error == "" and st.download_key
    token = st.token
    assert _is_redirect_to_login(st.logout())
    assert st.token == ""
    with db.session_scope() as s:
        assert auth.principal_for_token(s, token) is None
        assert s.exec(select(UserSession).where(UserSession.revoked_at.is_not(None))).first()


def test_a_locked_out_super_admin_is_let_back_in_by_another_super_admin_not_a_branch_admin(demo_db, monkeypatch):
    """Found: five wrong passwords locked super, and nobody could unlock it. Now only failures from
    many addresses lock an account at all, and a super admin can lift it (a branch admin cannot: super
    is outside its scope; the operator's way is `manage unlock-user`, see test_auth)."""
    from clss_app import settings
    from clss_app.services.accounts import create_user

    monkeypatch.setattr(settings, "LOGIN_LOCK_AFTER", 10)
    with db.session_scope() as s:
        create_user(s, username="root2", display_name="运维二", password="Admin2026", role="super_admin")
        super_id = s.exec(select(User.id).where(User.username == "super")).one()
    with db.session_scope() as s:
        root2 = auth.login(s, "root2", "Admin2026").token
    for i in range(2):
        for _ in range(5):
            with db.session_scope() as s:
                auth.login(s, "super", "wrong-password1", address=f"192.0.2.{i}")
    assert _locked("super")
    with db.session_scope() as s:
        assert not auth.login(s, "super", DEMO_PASSWORD, address="198.51.100.7").ok
    assert "记录不存在或无权访问" in repr(_unlock_via_handler(_token("sysadmin"), super_id))
    assert "解锁账号成功 1 条" in repr(_unlock_via_handler(root2, super_id))
    with db.session_scope() as s:
        assert auth.login(s, "super", DEMO_PASSWORD, address="198.51.100.7").ok


def test_unlock_lifts_a_throttle_and_refuses_a_user_with_a_single_failure(demo_db):
    with db.session_scope() as s:
        ids = dict(s.exec(select(User.username, User.id).where(User.username.in_(["store2", "finance2"]))).all())
    for _ in range(5):
        with db.session_scope() as s:
            auth.login(s, "store2", "wrong-password1", address="192.0.2.1")
    with db.session_scope() as s:
        auth.login(s, "finance2", "wrong-password1", address="192.0.2.1")
    st = _state(AdminState, _token("sysadmin"))
    st.admin_key = "users"
    st.selected = [str(ids["store2"]), str(ids["finance2"])]
    st.ask_action("unlock")
    spec = repr(st.run_action())
    assert "解锁账号成功 1 条" in spec and "finance2：未被锁定" in spec
    with db.session_scope() as s:
        assert auth.login(s, "store2", DEMO_PASSWORD, address="192.0.2.1").ok


def test_login_log_is_a_read_only_list_within_the_admins_scope(demo_db):
    from models import LoginLog

    with db.session_scope() as s:  # the demo's week of logins comes first
        seeded = s.exec(select(sa.func.count()).select_from(LoginLog)).one()
    for username, password in (
        ("finance", "wrong-password1"),
        ("principal3", "wrong-password1"),
        ("nobody", "wrong-password1"),
        ("manager", DEMO_PASSWORD),
    ):
        with db.session_scope() as s:
            auth.login(s, username, password, address="192.0.2.7")
    st = _state(AdminState, _token("sysadmin"))  # 北京分行: finance and manager, not 上海's principal3
    st.load("login_log")
    st.load_count()
    seen = {(r["username"], r["outcome"]) for r in st.rows}
    assert {("finance", "密码错误"), ("manager", "登录成功"), ("sysadmin", "登录成功")} <= seen
    assert not {u for u, _ in seen} & {"principal3", "nobody", "super"}
    new = [r for r in st.rows if int(r["id"]) > seeded]  # this test's attempts (and sysadmin's login)
    assert new and all(r["address"] in ("192.0.2.7", "") for r in new)
    st.set_filter("outcome", "failed")
    assert {r["outcome"] for r in st.rows} == {"密码错误"}
    assert {r["username"] for r in st.rows if int(r["id"]) > seeded} == {"finance"}
    for forged in ("__delete__", "unlock"):  # nothing to change here, whatever a client sends
        st.selected, st.confirm_action = [str(st.rows[0]["id"])], forged
        st.run_action()
    with db.session_scope() as s:
        assert s.exec(select(sa.func.count()).select_from(LoginLog)).one() == seeded + 5

    st = _state(AdminState, _token("super"))  # unrestricted: unknown names too
    st.load("login_log")
    assert {"principal3", "nobody"} <= {r["username"] for r in st.rows}
    assert _is_error_toast(_state(AdminState, _token("manager")).load("login_log"), "无权")


def test_a_download_ticket_needs_its_session_and_the_browser_that_holds_it(demo_db, tmp_path, monkeypatch):
    """A ticket is bound to the login that asked: refused without that session's cookie (a link copied
    to another browser), and once the session is logged out or idle."""
    import re

    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from clss_app import settings
    from clss_app.admin import downloads
    from clss_app.admin.state import AdminIOState

    monkeypatch.setattr(downloads, "PRIVATE_DIR", tmp_path)
    client = TestClient(Starlette(routes=downloads.routes()))

    def login():
        with db.session_scope() as s:
            return auth.login(s, "super", DEMO_PASSWORD)

    def ticket(token):
        st = _state(AdminIOState, token)
        st.admin_key = "city_params"
        return re.search(r"/_clss/download/[\w-]+", repr(st.download_template())).group(0)

    def get(url, key):
        client.cookies.clear()
        if key:
            client.cookies.set(auth.DOWNLOAD_COOKIE, key)
        return client.get(url).status_code

    me, other = login(), login()
    url = ticket(me.token)
    assert get(url, "") == 404  # the link alone, as another browser has it
    assert get(url, other.download_key) == 404  # another login's cookie, even of the same user
    assert get(url, me.download_key) == 200  # the refusals above did not spend it
    assert get(url, me.download_key) == 404  # once only

    url = ticket(me.token)
    with db.session_scope() as s:
        s.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == auth._token_hash(me.token))
            .values(last_seen_at=utcnow() - timedelta(minutes=settings.IDLE_MINUTES, seconds=1))
        )
    assert get(url, me.download_key) == 404  # the session went idle

    url = ticket(other.token)
    with db.session_scope() as s:
        auth.logout(s, other.token)
    assert get(url, other.download_key) == 404  # logged out


class _FakeUpload:
    name = filename = "rooms.csv"

    def __init__(self):
        self.read_called = False

    async def read(self, n=-1):
        self.read_called = True
        return b"a,b\n1,2\n"


def test_upload_for_import_is_refused_before_the_file_is_read(demo_db):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from clss_app.admin.state import AdminIOState

    st = _state(AdminIOState, _token("manager"))  # 店长 may not import city parameters
    st.admin_key = "city_params"
    upload = _FakeUpload()
    # Its own thread and loop: Playwright's sync API may hold a running loop in this one.
    with ThreadPoolExecutor(1) as pool:
        spec = pool.submit(asyncio.run, st.upload_import([upload])).result()
    assert _is_error_toast(spec, "无权") and not upload.read_called and st._upload_data == b""


def test_a_failed_background_job_is_reported_in_one_chinese_line(demo_db):
    from concurrent.futures import Future

    from clss_app.admin.state import AdminIOState

    st = _state(AdminIOState, _token("super"))
    ok, broken, refused = Future(), Future(), Future()
    ok.set_result(("/x", 1))
    broken.set_exception(RuntimeError("disk full"))
    from clss_app.services.permissions import Forbidden

    refused.set_exception(Forbidden("您的角色（财务）无权导出此内容"))
    assert st._job_outcome(ok, "导出") is None
    assert _is_error_toast(st._job_outcome(broken, "导出"), "导出失败")
    assert _is_error_toast(st._job_outcome(refused, "导出"), "无权导出")


def test_attachment_download_checks_the_row_scope_on_the_server(demo_db, tmp_path, monkeypatch):
    from clss_app.admin import attachments, stored_files
    from models import OrgUnit
    from pages.system import OrgUnitAdmin
    from tests.unit.test_media import PDF

    monkeypatch.setattr(attachments, "FILES_DIR", tmp_path)
    with db.session_scope() as s:
        unit = s.exec(select(OrgUnit).where(OrgUnit.name == "燕园公寓管理有限公司")).one()
        unit.license_file = attachments.store(PDF, "执照.pdf", "pdf")
        stored_files.record(s, OrgUnitAdmin, unit, "sysadmin")  # as its form's save does
        unit_id = unit.id
    for username, allowed in (("sysadmin2", False), ("sysadmin", True)):  # Shanghai's admin, Beijing's admin
        st = _state(AdminState, _token(username))
        st.admin_key, st.form_row_id = "org_units", unit_id  # as a forged client could set them
        spec = st.download_attachment("license_file")
        if allowed:
            assert "/_clss/download/" in repr(spec)
        else:
            assert _is_error_toast(spec, "记录不存在或无权访问")


def test_workbench_refuses_another_company_s_project_on_the_server(demo_db):
    from pages.workbench import WorkbenchState

    st = _state(WorkbenchState, _token("store3"))  # 申城's store manager
    assert _is_error_toast(st.choose_project("1"), "项目不存在或无权访问")
    assert st.rows == [] and st.total == 0
    st = _state(WorkbenchState, _token("manager"))
    st.choose_project("1")
    assert st.total > 0 and sum(st.counts.values()) == st.total
    st.selected = [st.rows[0].tiles[0].id]
    st._seen = {}
    st2 = _state(WorkbenchState, _token("store3"))
    st2.selected, st2._seen = st.selected, {st.selected[0]: 1}
    spec = st2.unlock("")  # a forged request for a room of another company
    assert "解锁成功 0 间" in repr(spec) and "记录不存在或无权访问" in repr(spec)


def test_create_prefill_from_a_filter_never_shows_a_row_outside_the_scope(demo_db):
    from models import FeeItem

    with db.session_scope() as s:
        own = s.exec(select(FeeItem.id).where(FeeItem.project_id == 3)).first()
        other = s.exec(select(FeeItem.id).where(FeeItem.project_id == 1)).first()
    for fee_item, expected in ((own, str(own)), (other, "")):
        st = _state(AdminState, _token("store2"))
        st.admin_key, st.filters = "pricing_standards", {"fee_item_id": str(fee_item)}
        st.open_create()
        assert st.form_values["fee_item_id"] == expected
        assert (st.fk_labels_shown["fee_item_id"] != "") == bool(expected)


def test_new_clicked_before_the_list_loaded_opens_on_that_list(demo_db):
    st = _state(AdminState, _token("sysadmin"))
    st.load("users")
    # The next page's 新增 reaches the server before that page's load (events run in order).
    st.open_create("org_units")
    assert not st.form_open  # not on the users list it still shows
    st.load("org_units")
    assert st.form_open and st.form_mode == "create" and st.admin_key == "org_units"
    assert "kind" in st.form_values and "username" not in st.form_values
    # A normal click on a loaded list opens at once.
    st.form_open = False
    st.open_create("org_units")
    assert st.form_open


def test_export_and_import_need_the_list_itself(demo_db):
    """finance may export contracts, but not 入住办理's (a list finance may not open) by a forged event."""
    from clss_app.admin import io
    from clss_app.admin.query import ListQuery
    from clss_app.services.permissions import EXPORT, VIEW, Forbidden, can
    from clss_app.site import app_site

    with db.session_scope() as s:
        fin = auth.principal_for_token(s, _token("finance"))
        check_ins = app_site().admin("check_ins")
        assert can(fin, EXPORT, "check_ins") and not can(fin, VIEW, "check_ins")
        try:
            io.export_frame(s, check_ins, fin, ListQuery())
        except Forbidden as exc:
            assert "无权查看" in str(exc)
        else:
            raise AssertionError("exported a list its role may not open")


def test_an_action_on_nothing_selected_says_so(demo_db):
    st = _state(AdminState, _token("sysadmin"))
    st.load("users")
    st.selected, st.confirm_action = [], "unlock"
    spec = st.run_action()
    assert "请先勾选要操作的记录" in repr(spec) and "成功 0 条" not in repr(spec)


def test_a_lapsed_login_opening_an_import_goes_to_log_in(demo_db):
    from clss_app.admin.state import AdminIOState

    st = _state(AdminIOState, _token("manager"))
    st.load("rooms")
    root = st.parent_state
    while root.parent_state is not None:
        root = root.parent_state
    root.get_substate(AuthState.get_full_name().split(".")[1:]).token = "expired"
    assert _is_redirect_to_login(st.open_import()) and not st.import_open
    assert _is_redirect_to_login(_run(st.commit_import()))

"""Issue 16 through the handlers, as a forged client would call them, on the demo data.

Each test is one finding of the security review: list arguments outside the
declaration (7), file references taken from another row (8), answers that told
an out-of-scope row from a missing one (9), fields hidden from a role that it
could still search (10), an import preview committed on another list (13).
"""

import re

from sqlmodel import func, select

from clss_app import db
from clss_app.admin import attachments, io
from clss_app.admin.query import ListQuery
from clss_app.admin.state import AdminIOState, AdminState
from clss_app.services import room_status
from clss_app.services.permissions import load_principal
from models import LockKind, OrgUnit, Project, Role, Room, User
from pages.housing import RoomAdmin
from pages.system import UserAdmin
from pages.workbench import WorkbenchState
from tests.unit.test_handlers import _run, _state, _token
from tests.unit.test_housing import _room, _sheet
from tests.unit.test_media import PDF


def _toast(spec) -> str:
    """The toast a handler answered with, as text to compare ("" if none)."""
    specs = spec if isinstance(spec, list) else [spec]
    return " ".join(re.sub(r" at 0x[0-9a-f]+", "", repr(s)) for s in specs if s is not None and "toast" in repr(s))


def _principal(username):
    with db.session_scope() as s:
        return load_principal(s, s.exec(select(User).where(User.username == username)).one())


# ---------------------------------------------------------------- 7


def test_list_arguments_outside_the_declaration_are_refused_whatever_the_path(demo_db):
    st = _state(AdminState, _token("assistant"))  # 店助: thousands of bills in scope
    st.load("bills")
    st.load_count()
    assert st.page_size == 20 and len(st.rows) == 20 and st.total > 1000
    for size in ("100000", "-1", "0", "21", "abc"):
        assert _toast(st.set_page_size(size)), size
        assert st.page_size == 20 and len(st.rows) == 20
    st.load_count()  # a refused size never reaches the count (size 0 divided by zero there)
    st.set_page_size("50")
    assert st.page_size == 50 and len(st.rows) == 50
    for column in ("phone", "remark", "id; drop table bill"):  # not a list column of 账单; not sortable at all
        assert _toast(st.sort_by(column)), column
        assert st.sort == ""  # the declared default order (unpaid first), as before the refused click
    st.sort_by("amount")
    assert st.sort == "amount"
    assert _toast(st.set_filter("remark", "x")) and "remark" not in st.filters
    assert _toast(st.set_filter("state__like", "x")) and st.filters == {}
    st.set_filter("state", "confirmed")
    assert st.filters == {"state": "confirmed"}
    assert _toast(st.go_page("abc")) and st.page == 1
    # The URL path is judged by the same rules: what it may not ask falls back to the default.
    st.apply_search("size=100000&sort=remark&f_remark=x&f_state=paid&page=-4")
    assert (st.page_size, st.sort, st.filters, st.page) == (20, "", {"state": "paid"}, 1)
    assert len(st.rows) == 20


# ---------------------------------------------------------------- 8


class _Upload:
    def __init__(self, filename: str, data: bytes):
        self.name = self.filename = filename
        self.data = data

    async def read(self, n=-1):
        return self.data


def _unit(name) -> int:
    with db.session_scope() as s:
        return s.exec(select(OrgUnit.id).where(OrgUnit.name == name)).one()


def _licence(unit_id) -> str:
    with db.session_scope() as s:
        return s.get(OrgUnit, unit_id).license_file


def test_a_file_reference_is_taken_only_from_this_forms_upload_or_the_row_itself(demo_db, tmp_path, monkeypatch):
    monkeypatch.setattr(attachments, "FILES_DIR", tmp_path)
    yanyuan, shencheng = _unit("燕园公寓管理有限公司"), _unit("申城安居企业管理有限公司")
    # Beijing's admin uploads 燕园's licence through 燕园's form: saved, and theirs to download.
    bj = _state(AdminState, _token("sysadmin"))
    bj.load("org_units")
    bj.open_edit(str(yanyuan))
    _run(bj.upload_field([_Upload("营业执照.pdf", PDF)], "license_file"))
    ref = bj.form_values["license_file"]
    assert ref and not bj.form_errors
    bj.save({})
    assert not bj.form_open and _licence(yanyuan) == ref
    # Shanghai's admin puts that reference into their own company, by the field and by the form: refused.
    sh = _state(AdminState, _token("sysadmin2"))
    sh.load("org_units")
    sh.open_edit(str(shencheng))
    assert _toast(sh.set_form_value("license_file", ref))
    sh.save({"license_file": ref})  # a form's own fields only: uploads come from upload_field
    assert _licence(shencheng) == ""
    from clss_app.admin import crud
    from pages.system import OrgUnitAdmin

    with db.session_scope() as s:  # and the engine itself takes no reference this form did not upload
        try:
            crud.update(
                s,
                OrgUnitAdmin,
                _principal("sysadmin2"),
                shencheng,
                {**sh.form_values, "license_file": ref},
                s.get(OrgUnit, shencheng).version,
                uploaded={"license_file": set()},
            )
        except crud.ValidationFailed as exc:
            assert "上传文件" in exc.errors["license_file"]
        else:
            raise AssertionError("a borrowed reference was saved")
    assert _licence(shencheng) == ""
    # A row that holds another row's reference anyway (saved before owners were kept) does not hand it out.
    with db.session_scope() as s:
        s.get(OrgUnit, shencheng).license_file = ref
    sh.form_row_id = shencheng
    assert "/_clss/download/" not in repr(sh.download_attachment("license_file"))
    # The row that owns it still does, and an edit that keeps it saves.
    bj.open_detail(str(yanyuan))
    assert "/_clss/download/" in repr(bj.download_attachment("license_file"))
    bj.open_edit(str(yanyuan))
    bj.save({"city": "北京"})
    assert not bj.form_open and _licence(yanyuan) == ref


# ---------------------------------------------------------------- 9


def test_a_row_outside_the_scope_gets_the_answer_of_a_missing_row(demo_db):
    theirs = list(range(4, 11))  # 京安居's rooms; store2 works for 燕园
    with db.session_scope() as s:
        numbers = s.exec(select(Room.number).where(Room.id.in_(theirs))).all()
        out = room_status.lock(s, _principal("store2"), dict.fromkeys([*theirs, 999999], 1), LockKind.ORDINARY, "维修")
    assert out.refused == [(f"#{i}", "记录不存在或无权访问") for i in [*theirs, 999_999]]
    assert not any(n in out.message("锁定") for n in numbers)
    # The board: the panel and a lock of a room that is not on it.
    board = _state(WorkbenchState, _token("store2"))
    board.load()
    assert _toast(board.open_panel(4)) == _toast(board.open_panel(999_999)) != ""
    assert "1-1" not in _toast(board.open_panel(4))
    assert _toast(board.ask_lock("4")) and board.selected == [] and not board.lock_open
    # The engine: a detail, an edit, a delete and an action.
    st = _state(AdminState, _token("store2"))
    st.load("rooms")
    assert _toast(st.open_detail("4")) == _toast(st.open_detail("999999")) != ""
    assert "记录不存在或无权访问" in _toast(st.open_edit("4"))
    # A name typed in a form: the same answer whether it belongs to another company or to nobody.
    from clss_app.admin import crud

    with db.session_scope() as s:
        p = _principal("store2")
        theirs_name = s.exec(select(Project.name).where(Project.id == 1)).one()
        answers = []
        for name in (theirs_name, "没有这个项目", "1", "999999"):
            _, errors = crud.validate(s, RoomAdmin, p, _room(project=name))
            answers.append(errors["project_id"].replace(name, "…"))
    assert len(set(answers)) == 1 and "不存在或无权访问" in answers[0]


# ---------------------------------------------------------------- 10


def test_a_field_hidden_from_a_role_is_not_searched_sorted_filtered_or_exported(demo_db, monkeypatch):
    with db.session_scope() as s:
        phone = s.exec(select(User.phone).where(User.username == "sysadmin")).one()
    sup = _state(AdminState, _token("super"))  # phone is hidden from 超级管理员
    sup.load("users")
    sup.apply_search(f"q={phone}")
    assert sup.rows == []
    sup.apply_search("sort=-phone")
    assert sup.sort == "id"
    assert _toast(sup.sort_by("phone")) and sup.sort == "id"
    with db.session_scope() as s:
        frame = io.export_frame(s, UserAdmin, _principal("super"), ListQuery(q=phone))
    assert frame.height == 0 and "手机号" not in frame.columns
    sysadmin = _state(AdminState, _token("sysadmin"))  # who may see it finds it
    sysadmin.load("users")
    sysadmin.apply_search(f"q={phone}")
    assert [r["username"] for r in sysadmin.rows] == ["sysadmin"]
    # A change of it is left out of the row's history too.
    row_id = sysadmin.rows[0]["id"]
    sysadmin.open_edit(row_id)
    sysadmin.save({"phone": "13912345678"})
    sysadmin.open_detail(row_id)
    assert "13912345678" in sysadmin.detail_history[0]["changes"]
    sup.open_detail(row_id)
    assert sup.detail_history[0]["changes"] == "" and "13912345678" not in repr(sup.detail_items)
    # A hidden filter field: no options loaded, no filter taken from a handler or the URL.
    monkeypatch.setattr(UserAdmin, "hidden_for", {**UserAdmin.hidden_for, "org_unit_id": {Role.SUPER_ADMIN}})
    sup = _state(AdminState, _token("super"))
    sup.load("users")
    assert "org_unit_id" not in sup.fk_options and "org_unit_id" in sup.hidden_columns
    assert _toast(sup.set_filter("org_unit_id", "2")) and sup.filters == {}
    assert _toast(sup.fk_search("org_unit_id", "北京")) and "org_unit_id" not in sup.fk_options
    sup.apply_search("f_org_unit_id=2")
    assert sup.filters == {}


# ---------------------------------------------------------------- 13


def _count(model) -> int:
    with db.session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _checked_rooms(token):
    """What check_import keeps after a good dry run of five rooms, for the login behind ``token``."""
    from clss_app.services import auth

    with db.session_scope() as s:
        p = auth.principal_for_token(s, token)
        return io.dry_run(s, RoomAdmin, p, _sheet([_room(number=f"8-{i:03d}") for i in range(5)]))


def test_an_import_preview_commits_only_on_its_own_list_for_its_own_user(demo_db):
    projects, rooms = _count(Project), _count(Room)
    token = _token("principal2")
    checked = _checked_rooms(token)
    st = _state(AdminIOState, token)  # 燕园's principal may import rooms and projects
    st.load("rooms")
    st._import_preview, st.import_ready, st.import_filename = checked, True, "rooms.csv"
    st.load("projects")
    assert "导入预览" in _toast(_run(st.commit_import()))
    assert (_count(Project), _count(Room)) == (projects, rooms)
    assert st._import_preview is None and not st.import_ready  # a refused preview is gone
    other = _state(AdminIOState, _token("store2"))  # same company, another user
    other.load("rooms")
    other._import_preview, other.import_ready = checked, True
    assert "导入预览" in _toast(_run(other.commit_import()))
    assert _count(Room) == rooms
    st.load("rooms")
    st._import_preview, st.import_ready = checked, True
    assert "已导入 5 条" in _toast(_run(st.commit_import()))
    assert _count(Room) == rooms + 5


def test_rows_that_held_a_file_before_owners_were_recorded_keep_it(tmp_path, monkeypatch):
    from alembic import command

    from clss_app import manage
    from clss_app.admin import stored_files

    monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{tmp_path}/old.db")
    command.upgrade(manage.alembic_config(), "0013")
    with db.engine().begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO org_unit (id, name, kind, city, is_whitelist, is_operating, license_file,"
            " created_at, version)"
            " VALUES (1, '总行', 'hq', '', 0, 0, 'a.pdf/执照.pdf', '2026-01-01', 1)"
        )
    manage.migrate()
    with db.session_scope() as s:
        assert stored_files.owns(s, OrgUnit, 1, "license_file", "a.pdf/执照.pdf")
        assert not stored_files.owns(s, OrgUnit, 2, "license_file", "a.pdf/执照.pdf")

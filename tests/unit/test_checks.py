"""Start-up checks: each kind of typo in a declaration is refused by name, with a suggestion, before the
app starts (``AdminSite.finalize``) and by ``python -m clss_app.manage check``."""

from decimal import Decimal

import pytest

from clss_app import manage, site
from clss_app.admin import (
    Action,
    ActionResult,
    Count,
    Image,
    Link,
    Many,
    Masked,
    ModelAdmin,
    Ordering,
    Range,
    Scope,
    Sort,
    Within,
)
from clss_app.admin.site import AdminSite, SiteCheckFailed
from clss_app.menu import MenuEntry
from clss_app.services.permissions import roles_for
from models import Role, Room, RoomStatus, User, UserProject
from tests.unit.declarations import ENTRY, problems

GOOD = {"list_columns": ["number", "rent"], "filters": ["project_id"], "scope": Scope.project("project_id")}


def _noop(ctx):
    return ActionResult()


def _admin(model=Room, key="t_rooms", **options):
    return type("RoomAdmin", (ModelAdmin,), {**GOOD, **options}, model=model, key=key)


def test_a_clean_declaration_passes():
    assert problems(_admin()) == []


@pytest.mark.parametrize(
    "options,expected",
    [
        ({"list_columns": ["number", "citty"]}, "RoomAdmin.list_columns: `citty`: no such field on Room"),
        ({"filters": ["projcet"]}, "RoomAdmin.filters: `projcet`: no such field on Room; did you mean `project_id`?"),
        ({"search": ["numbr"]}, "RoomAdmin.search: `numbr`: no such field on Room; did you mean `number`?"),
        ({"search": ["rent"]}, "RoomAdmin.search: `rent`: a money field cannot be searched (only text)"),
        ({"search": "number"}, "RoomAdmin.search: must be a list of field names, not str 'number'"),
        ({"form": ["number", "flor_no"]}, "RoomAdmin.form: `flor_no`: no such field on Room; did you mean `floor_no`?"),
        ({"detail": ["stauts"]}, "RoomAdmin.detail: `stauts`: no such field on Room; did you mean `status`?"),
        ({"sortable": ["rnt"]}, "RoomAdmin.sortable: `rnt`: no such column on Room; did you mean `rent`?"),
        ({"default_sort": "-rnet"}, "RoomAdmin.default_sort: `-rnet`: no such column on Room; did you mean `rent`?"),
        (
            {"default_sort": Sort("rnet")},
            "RoomAdmin.default_sort: `rnet`: no such column on Room; did you mean `rent`?",
        ),
        ({"default_sort": Sort()}, "RoomAdmin.default_sort: Sort(...) needs at least one column to order by"),
        (
            {"default_sort": Sort("rent", first={"stauts": (RoomStatus.VACANT,)})},
            "RoomAdmin.default_sort.first: `stauts`: no such column on Room; did you mean `status`?",
        ),
        (
            {"default_sort": Sort("rent", first={"status": ("vacnt",)})},
            "RoomAdmin.default_sort.first: 'vacnt' is not a RoomStatus; did you mean `RoomStatus.VACANT`?",
        ),
        (
            {"default_sort": Sort("rent", first={"status": (RoomStatus.VACANT,)}, then="-rnet")},
            "RoomAdmin.default_sort.then: `-rnet`: no such column on Room; did you mean `rent`?",
        ),
        (
            {"default_sort": Sort("rent", first={"status": (RoomStatus.VACANT,), "floor_no": (1,)})},
            "RoomAdmin.default_sort.first: must name one column and its values",
        ),
        ({"default_sort": Sort("rent", then="-id")}, "RoomAdmin.default_sort.then: orders the rows after the first"),
        ({"default_sort": ("rent",)}, "RoomAdmin.default_sort: must be a column name"),
        ({"noun": "房间管理"}, "RoomAdmin.noun: '房间管理': what one row is called (合同), not a page's name"),
        ({"noun": 3}, "RoomAdmin.noun: must be a string, not 3"),
        ({"only": {"stats": ("vacant",)}}, "RoomAdmin.only: `stats`: no such column on Room; did you mean `status`?"),
        ({"only": {"status": "vacant"}}, "RoomAdmin.only: `status`: must be a non-empty tuple of values"),
        (
            {"defaults": {"visble": True}},
            "RoomAdmin.defaults: `visble`: no such column on Room; did you mean `visible`?",
        ),
        ({"hidden_for": {"rentt": {Role.FINANCE}}}, "RoomAdmin.hidden_for: `rentt`: no such field on Room"),
        ({"readonly_for": {"rent": {"finance"}}}, "RoomAdmin.readonly_for['rent']: 'finance' is not a Role"),
        ({"count": "caped"}, "RoomAdmin.count: must be Count.EXACT or Count.CAPPED, not 'caped'"),
        ({"count_cap": 0}, "RoomAdmin.count_cap: must be a positive whole number, not 0"),
        ({"page_sizes": [20, 50]}, "RoomAdmin.page_sizes: must be a tuple of page sizes"),
        ({"scope": ("city", "projcet")}, 'RoomAdmin.scope: must be Scope.project("column") or Scope.unit("column")'),
        ({"scope": Scope.project("projcet")}, "RoomAdmin.scope: `projcet`: no such field on Room; did you mean"),
        ({"scope": Scope("project_id", "city")}, "RoomAdmin.scope: `city`: a scope is by unit or by project"),
        ({"scope_on_create": Scope.unit("compny_id")}, "RoomAdmin.scope_on_create: `compny_id`: no such field"),
        ({"can_create": {"principal"}}, "RoomAdmin.can_create: 'principal' is not a Role; did you mean `principal`?"),
        ({"can_export": "super_admin"}, "RoomAdmin.can_export: must be a set of Role, not str"),
        ({"fields_override": {"covr": Image()}}, "RoomAdmin.fields_override: `covr`: no such field on Room"),
        (
            {"fields_override": {"cover": {"kind": "image"}}},
            "RoomAdmin.fields_override: `cover`: {'kind': 'image'} is not",
        ),
        ({"fields_override": {"rent": Image()}}, "RoomAdmin.fields_override: `rent`: Image does not apply to a money"),
        ({"fields_override": {"rent": Range(5, 1)}}, "`rent`: Range(5, 1): the minimum is above the maximum"),
        ({"fields_override": {"building_id": Within("projcet_id")}}, "Within('projcet_id'): no such field on Room"),
        ({"fields_override": {"number": Masked("mobile")}}, "`number`: Masked('mobile'): one of phone, id_number"),
        ({"fields_override": {"number": Masked("phone", full={"manager"})}}, "Masked: 'manager' is not a Role"),
        ({"fields_override": {"rent": Masked("phone")}}, "`rent`: Masked does not apply to a money"),
        ({"picker_hint": "projct_id"}, "RoomAdmin.picker_hint: `projct_id`: no such foreign key or text field on Room"),
        ({"ordering": Ordering("sort_order")}, "RoomAdmin.ordering: `sort_order`: no such column on Room"),
        ({"links": [("房间", "t_rooms", "id")]}, "RoomAdmin.links: must be Link(label, admin key, column)"),
        (
            {"links": [Link("合同", "contrcts", "room_id")]},
            "RoomAdmin.links: `contrcts`: no admin has that key",
        ),
        (
            {"actions": [Action("lock", "锁定", _noop, {Role.STORE_MANAGER}), Action("lock", "锁", _noop, set())]},
            "RoomAdmin.actions: `lock`: two actions of t_rooms have that name",
        ),
        (
            {"actions": [Action("lock", "锁定", _noop, {"store_manager"})]},
            "RoomAdmin.actions['lock'].roles: 'store_manager' is not a Role",
        ),
    ],
)
def test_each_kind_of_typo_is_named_with_the_admin_the_option_and_the_value(options, expected):
    found = problems(_admin(**options))
    assert any(expected in p for p in found), found


def test_many_import_scene_and_links_across_admins():
    bad_many = type(
        "UserAdmin",
        (ModelAdmin,),
        {"many": {"projects": Many(UserProject, "usr_id", "project_id", "负责项目")}, "import_scene": "员工导入"},
        model=User,
        key="t_users",
    )
    entry = MenuEntry("t_users", "员工", "/t/users", frozenset({Role.SUPER_ADMIN}))
    found = problems(
        bad_many, _admin(links=[Link("员工", "t_users", "username")]), menu={ENTRY.key: ENTRY, entry.key: entry}
    )
    assert "UserAdmin.many: `projects`: UserProject has no column 'usr_id'" in found
    assert "UserAdmin.import_scene: User has no import_batch_id column to record its batches in" in found
    # A link opens the other list filtered on this row: a column that list does not filter on would show it all.
    assert "RoomAdmin.links: `username`: UserAdmin does not offer it as a filter" in found


def test_keys_must_be_unique_and_have_a_menu_entry():
    found = problems(_admin(), _admin(), _admin(key="t_romos"))
    assert "RoomAdmin.key: `t_rooms`: RoomAdmin is registered with that key already" in found
    assert "RoomAdmin.key: `t_romos`: no menu entry has that key; did you mean `t_rooms`?" in found


def test_a_failed_check_stops_finalize_and_grants_nothing():
    s = AdminSite({ENTRY.key: ENTRY})
    s.register(_admin(count="caped", filters=["projcet"], can_create={Role.PRINCIPAL}))
    with pytest.raises(SiteCheckFailed) as exc:
        s.finalize()
    assert len(exc.value.problems) == 2
    assert "RoomAdmin.filters: `projcet`" in str(exc.value) and "RoomAdmin.count" in str(exc.value)
    assert Role.PRINCIPAL not in roles_for("t_rooms", "create") and not s.finalized


def test_manage_check_passes_on_the_app(capsys):
    assert manage.main(["check"]) == 0
    assert "管理声明检查通过：80 个管理页" in capsys.readouterr().out
    served = site.app_site()  # checking a second site of the same admins leaves them with the one served
    assert all(a.site is served for a in served.admins())


def test_manage_check_fails_with_one_line_a_problem(monkeypatch, capsys):
    from clss_app import menu

    def broken():
        s = AdminSite(menu.ENTRIES)
        s.register(_admin(key="rooms", filters=["projcet"], fields_override={"rent": Range(Decimal(5), Decimal(1))}))
        return s

    monkeypatch.setattr(site, "build", broken)
    assert manage.main(["check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "RoomAdmin.filters: `projcet`: no such field on Room; did you mean `project_id`?",
        "RoomAdmin.fields_override: `rent`: Range(5, 1): the minimum is above the maximum",
        "管理声明检查未通过：2 个问题",
    ]


def test_manage_check_names_a_typo_in_the_default_order(monkeypatch, capsys):
    from clss_app import menu

    def broken():
        s = AdminSite(menu.ENTRIES)
        s.register(_admin(key="rooms", default_sort=Sort("rent", first={"status": (RoomStatus.VACANT,)}, then="-aera")))
        return s

    monkeypatch.setattr(site, "build", broken)
    assert manage.main(["check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "RoomAdmin.default_sort.then: `-aera`: no such column on Room; did you mean `area`?",
        "管理声明检查未通过：1 个问题",
    ]


def test_the_count_and_scope_options_are_typed():
    assert Count("capped") is Count.CAPPED
    assert Scope.project("project_id") == Scope("project_id", "project")

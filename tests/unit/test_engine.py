"""The engine without a browser: fields, list queries, CRUD, audit, import/export."""

import io as _io
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app.admin import Count, ModelAdmin, Scope, crud, io
from clss_app.admin.fields import FieldSpec, infer_fields
from clss_app.admin.query import ListQuery, count, fetch_page
from clss_app.core.errors import FieldError
from clss_app.services.permissions import Forbidden
from models import AuditLog, CityParam, EnterpriseParam, OrgUnit, Project, Role, Room, RoomStatus, User
from pages.system import AuditLogAdmin, CityParamAdmin, EnterpriseParamAdmin, OrgUnitAdmin, UserAdmin


def test_fields_are_inferred_from_the_models():
    f = infer_fields(Room)
    assert f["rent"].kind == "money" and f["rent"].label == "月租金(元)"
    assert f["status"].kind == "enum" and f["status"].choices()[0] == ("vacant", "空闲可租")
    assert f["project_id"].kind == "fk" and f["project_id"].fk_model is Project
    assert f["number"].kind == "str" and f["number"].max_length == 32 and f["number"].required
    assert infer_fields(User)["is_active"].kind == "bool"
    assert infer_fields(OrgUnit)["created_at"].kind == "datetime"


@pytest.mark.parametrize(
    "kind,raw,expected",
    [
        ("money", "1,234.5", Decimal("1234.50")),
        ("money", "¥12", Decimal("12.00")),
        ("int", "42", 42),
        ("date", "2026/2/3".replace("/2/3", "/02/03"), date(2026, 2, 3)),
        ("bool", "是", True),
        ("bool", "否", False),
        ("str", "  x  ", "x"),
    ],
)
def test_field_parsing(kind, raw, expected):
    assert FieldSpec("f", "字段", kind).parse(raw) == expected


@pytest.mark.parametrize(
    "spec,raw,message",
    [
        (FieldSpec("f", "金额", "money", min_value=Decimal(0)), "-1", "金额不能小于 0"),
        (FieldSpec("f", "金额", "money"), "abc", "金额须为数字"),
        (FieldSpec("f", "金额", "money"), "1.234", "最多保留两位小数"),
        (FieldSpec("f", "金额", "money"), "NaN", "金额须为数字"),
        (FieldSpec("f", "数量", "int"), "1.5", "数量须为整数"),
        (FieldSpec("f", "日期", "date"), "2026-02-30", "日期须为日期"),
        (FieldSpec("f", "名称", "str", required=True), "  ", "名称不能为空"),
        (FieldSpec("f", "名称", "str", max_length=3), "四个字符", "不能超过 3 个字符"),
        (FieldSpec("f", "房态", "enum", enum=RoomStatus), "倒闭", "房态须为以下之一"),
    ],
)
def test_field_errors_are_chinese(spec, raw, message):
    with pytest.raises(FieldError, match=message):
        spec.parse(raw)


def test_enum_accepts_value_or_label():
    spec = infer_fields(Room)["status"]
    assert spec.parse("在租") is RoomStatus.OCCUPIED and spec.parse("occupied") is RoomStatus.OCCUPIED


def _ids(session, admin, p, **kw):
    return [r.id for r in fetch_page(session, admin, p, ListQuery(**kw))]


def test_list_query_scope_search_filter_sort_and_paging(session, principal_of):
    sysadmin = principal_of("sysadmin")
    everyone = session.exec(select(User)).all()
    beijing = [
        u
        for u in everyone
        if u.username
        in {
            "sysadmin",
            "principal",
            "multistore",
            "manager",
            "assistant",
            "finance",
            "cashier",
            "principal2",
            "store2",
            "finance2",
        }
    ]
    assert sorted(_ids(session, UserAdmin, sysadmin, page_size=50)) == sorted(u.id for u in beijing)
    assert count(session, UserAdmin, sysadmin, ListQuery()) == (len(beijing), True)
    assert [session.get(User, i).username for i in _ids(session, UserAdmin, sysadmin, q="finance")] == [
        "finance",
        "finance2",
    ]  # UserAdmin's default sort: by id
    sup = principal_of("super")
    finance = _ids(session, UserAdmin, sup, filters={"role": "finance"}, sort="username", page_size=20)
    assert [session.get(User, i).username for i in finance] == sorted(
        u.username for u in everyone if u.role.value == "finance"
    )
    page2 = _ids(session, UserAdmin, sup, sort="username", page=2, page_size=20)
    all_sorted = sorted(everyone, key=lambda u: (u.username, u.id))
    assert page2 == [u.id for u in all_sorted[20:40]]
    # LIKE wildcards in a search are literal, not patterns.
    assert _ids(session, UserAdmin, sup, q="%") == [] and _ids(session, UserAdmin, sup, q="_") == []
    # A nonsense filter value matches nothing rather than everything.
    assert _ids(session, UserAdmin, sup, filters={"org_unit_id": "abc"}) == []


def test_money_range_filter_and_capped_count(session, principal_of):
    class RoomAdmin(ModelAdmin, model=Room, key="test_rooms"):
        list_columns = ["number", "rent", "status"]
        filters = ["rent", "status"]
        count, count_cap = Count.CAPPED, 100
        scope = Scope.project("project_id")

    from clss_app.admin.site import AdminSite
    from clss_app.menu import MenuEntry

    entry = MenuEntry("test_rooms", "房间", "/test/rooms", frozenset({Role.SUPER_ADMIN}))
    site = AdminSite({entry.key: entry})  # an isolated site of its own
    site.register(RoomAdmin)
    site.finalize()
    p = principal_of("super")
    q = ListQuery(filters={"rent__gte": "3000", "rent__lte": "4000", "status": "vacant"}, page_size=100)
    expected = session.exec(
        select(sa.func.count())
        .select_from(Room)
        .where(Room.rent >= 3000, Room.rent <= 4000, Room.status == RoomStatus.VACANT)
    ).one()
    assert count(session, RoomAdmin, p, q) == (expected, True) and 0 < expected < 100
    assert count(session, RoomAdmin, p, ListQuery()) == (100, False)  # "100+", no COUNT(*) of the table


def test_create_validates_like_a_form_and_audits(session, principal_of):
    p = principal_of("sysadmin")
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, EnterpriseParamAdmin, p, {"company_id": "", "key": "", "value": "1"})
    assert e.value.errors == {"company_id": "企业不能为空", "key": "参数名不能为空"}
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, EnterpriseParamAdmin, p, {"company_id": "不存在的公司", "key": "k", "value": "1"})
    assert "不存在" in e.value.errors["company_id"]
    with pytest.raises(crud.ValidationFailed) as e:  # a Shanghai company is outside a Beijing admin's scope
        crud.create(
            session, EnterpriseParamAdmin, p, {"company_id": "申城安居企业管理有限公司", "key": "k", "value": "1"}
        )
    assert e.value.errors["company_id"] == "企业“申城安居企业管理有限公司”不存在或无权访问"  # as if there were none
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(
            session,
            EnterpriseParamAdmin,
            p,
            {"company_id": "京安居住房租赁有限公司", "key": "billing_mode", "value": "月初"},
        )
    assert "已存在" in e.value.errors["key"]
    row, _ = crud.create(
        session,
        EnterpriseParamAdmin,
        p,
        {"company_id": "燕园公寓管理有限公司", "key": "source_platform_code", "value": "2"},
    )
    log = session.exec(
        select(AuditLog).where(AuditLog.row_id == row.id, AuditLog.resource == "enterprise_params")
    ).one()
    assert log.action == "create" and log.username == "sysadmin" and '"value": "2"' in log.after


def test_update_refuses_a_stale_version_and_keeps_the_newer_value(session, principal_of):
    p = principal_of("super")
    row = session.exec(select(CityParam).where(CityParam.city == "北京", CityParam.key == "rent_guide_price")).one()
    raw = {"city": "北京", "key": "rent_guide_price", "remark": ""}
    crud.update(session, CityParamAdmin, p, row.id, {**raw, "value": "90"}, version=1)
    with pytest.raises(crud.Conflict, match="已被他人修改"):
        crud.update(session, CityParamAdmin, p, row.id, {**raw, "value": "70"}, version=1)
    session.refresh(row)
    assert (row.value, row.version) == ("90", 2)
    log = session.exec(select(AuditLog).where(AuditLog.action == "update", AuditLog.row_id == row.id)).one()
    assert '"value": "85"' in log.before and '"value": "90"' in log.after


def test_permissions_are_enforced_inside_the_engine(session, principal_of):
    with pytest.raises(Forbidden):
        crud.create(session, CityParamAdmin, principal_of("sysadmin"), {"city": "x", "key": "k", "value": "v"})
    with pytest.raises(Forbidden):
        crud.create(session, CityParamAdmin, None, {"city": "x", "key": "k", "value": "v"})
    shanghai = session.exec(
        select(EnterpriseParam)
        .join(OrgUnit, OrgUnit.id == EnterpriseParam.company_id)
        .where(OrgUnit.name == "申城安居企业管理有限公司")
    ).first()
    with pytest.raises(Forbidden, match="记录不存在或无权访问"):
        crud.get_row(session, EnterpriseParamAdmin, principal_of("sysadmin"), shanghai.id)
    # Read-only by role: a branch admin's form has no whitelist flag to change.
    assert "is_whitelist" not in OrgUnitAdmin.editable(principal_of("sysadmin"), OrgUnitAdmin.form)
    assert "is_whitelist" in OrgUnitAdmin.editable(principal_of("super"), OrgUnitAdmin.form)
    # Audit rows are scoped by the acting user's unit.
    assert AuditLogAdmin.scope == Scope.unit("org_unit_id")


def test_user_admin_rules(session, principal_of):
    p = principal_of("sysadmin")
    base = {"username": "newbie", "display_name": "新人", "phone": "", "data_scope": "subtree", "is_active": "是"}
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, UserAdmin, p, {**base, "role": "super_admin", "org_unit_id": "北京分行"})
    assert e.value.errors["role"] == "只有超级管理员可以设置超级管理员"
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, UserAdmin, p, {**base, "role": "finance", "org_unit_id": "北京分行"})
    assert "应设在企业" in e.value.errors["org_unit_id"]
    row, note = crud.create(session, UserAdmin, p, {**base, "role": "finance", "org_unit_id": "燕园公寓管理有限公司"})
    assert note.startswith("初始密码：") and row.password_hash.startswith("$argon2")


def test_export_is_the_whole_query_and_import_is_all_or_nothing(session, principal_of):
    p = principal_of("super")
    finance = len(session.exec(select(User).where(User.role == Role.FINANCE)).all())
    frame = io.export_frame(session, UserAdmin, p, ListQuery(filters={"role": "finance"}, page_size=20))
    assert frame.height == finance > 1 and set(frame["角色"]) == {"财务"}
    back = pl.read_excel(_io.BytesIO(io.write_frame(frame, "xlsx")))
    assert back.height == finance and back.columns == frame.columns
    assert pl.read_csv(_io.BytesIO(io.write_frame(frame, "csv"))).height == finance

    tpl = pl.read_excel(_io.BytesIO(io.template(CityParamAdmin, p)))
    assert tpl.columns == ["城市", "参数名", "参数值", "说明"]

    sheet = pl.DataFrame(
        {
            "城市": ["杭州", "杭州", "北京"],
            "参数名": ["meter_reading_day", "deposit_months_max", "late_fee_grace_days"],
            "参数值": ["1", "2", "3"],
            "说明": ["", "", ""],
        }
    )
    preview = io.dry_run(session, CityParamAdmin, p, sheet)
    assert [(e["row"], e["column"]) for e in preview.errors] == [("4", "参数名")]
    assert not preview.ok
    with pytest.raises(crud.ValidationFailed):
        io.commit(session, CityParamAdmin, p, preview)
    assert session.exec(select(CityParam).where(CityParam.city == "杭州")).all() == []

    preview = io.dry_run(session, CityParamAdmin, p, sheet.head(2))
    assert preview.ok and io.commit(session, CityParamAdmin, p, preview, "ok.xlsx") == 2
    assert len(session.exec(select(CityParam).where(CityParam.city == "杭州")).all()) == 2


def test_import_refuses_missing_columns_and_unreadable_files(session, principal_of):
    p = principal_of("super")
    preview = io.dry_run(session, CityParamAdmin, p, pl.DataFrame({"城市": ["杭州"]}))
    assert preview.errors[0]["message"] == "缺少必填列，请使用导入模板"
    with pytest.raises(ValueError, match="无法读取文件"):
        io.read_sheet(b"not an excel file", "x.xlsx")
    with pytest.raises(ValueError, match="只支持"):
        io.read_sheet(b"a,b", "x.txt")
    with pytest.raises(Forbidden):
        io.dry_run(session, CityParamAdmin, principal_of("manager"), pl.DataFrame({"城市": ["杭州"]}))


def test_fields_hidden_by_role_never_leave_the_server(session, principal_of):
    sup, admin = principal_of("super"), principal_of("sysadmin")
    assert "phone" not in UserAdmin.visible(sup, UserAdmin.list_columns)
    assert "手机号" not in io.export_frame(session, UserAdmin, sup, ListQuery()).columns
    assert "手机号" in io.export_frame(session, UserAdmin, admin, ListQuery()).columns
    assert "phone" not in UserAdmin.editable(sup, UserAdmin.form)


def test_foreign_keys_respect_the_target_scope_whatever_its_column(session, principal_of):
    p = principal_of("sysadmin")  # 北京分行
    uid = {u.username: u.id for u in session.exec(select(User)).all()}
    # AuditLog.user_id points at staff, whose admin scopes them by org_unit_id (not by id).
    _, errors = crud.validate(session, AuditLogAdmin, p, {"user_id": str(uid["principal3"])}, names=["user_id"])
    assert "不存在或无权访问" in errors["user_id"]  # a Shanghai employee
    values, errors = crud.validate(session, AuditLogAdmin, p, {"user_id": str(uid["principal2"])}, names=["user_id"])
    assert errors == {} and values["user_id"] == uid["principal2"]


def _links(session, user_id):
    from models import UserProject

    return sorted(session.exec(select(UserProject.project_id).where(UserProject.user_id == user_id)).all())


def test_many_to_many_projects_are_validated_saved_audited_and_exported(session, principal_of):
    p = principal_of("sysadmin")
    base = {
        "username": "store9",
        "display_name": "新店长",
        "phone": "",
        "data_scope": "subtree",
        "is_active": "是",
        "role": "store_manager",
        "org_unit_id": "燕园公寓管理有限公司",
    }
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, UserAdmin, p, base)
    assert e.value.errors["projects"] == "店长须至少负责一个项目"
    with pytest.raises(crud.ValidationFailed) as e:  # another company's project
        crud.create(session, UserAdmin, p, {**base, "projects": "海淀悦居、朝阳青年汇"})
    assert e.value.errors["projects"] == "项目“朝阳青年汇”不属于该员工的所属机构"
    with pytest.raises(crud.ValidationFailed) as e:  # outside the Beijing admin's scope
        crud.create(session, UserAdmin, p, {**base, "projects": "闵行星河公寓"})
    assert e.value.errors["projects"] == "负责项目“闵行星河公寓”不存在或无权访问"

    row, _ = crud.create(session, UserAdmin, p, {**base, "projects": "3,4"})
    assert _links(session, row.id) == [3, 4]
    crud.update(session, UserAdmin, p, row.id, {**base, "projects": "4"}, row.version)
    assert _links(session, row.id) == [4]
    log = session.exec(
        select(AuditLog).where(AuditLog.resource == "users", AuditLog.row_id == row.id).order_by(AuditLog.id)
    ).all()
    assert '"projects": "丰台优家、海淀悦居"' in log[0].after
    assert '"projects": "丰台优家、海淀悦居"' in log[1].before and '"projects": "丰台优家"' in log[1].after

    # Becoming finance drops the store's projects; the store staff's scope follows at once.
    crud.update(session, UserAdmin, p, row.id, {**base, "role": "finance", "projects": "4"}, row.version)
    assert _links(session, row.id) == []

    frame = io.export_frame(session, UserAdmin, principal_of("super"), ListQuery(q="multistore"))
    assert frame["负责项目"].to_list() == ["朝阳青年汇、海淀家园"]


def test_custom_scope_units_drive_the_principal(session, principal_of):
    from clss_app.services.permissions import load_principal

    p = principal_of("super")
    principal2 = session.exec(select(User).where(User.username == "principal2")).one()
    raw = {
        "username": "principal2",
        "display_name": principal2.display_name,
        "phone": "",
        "role": "principal",
        "org_unit_id": "燕园公寓管理有限公司",
        "is_active": "是",
        "data_scope": "custom",
    }
    with pytest.raises(crud.ValidationFailed) as e:
        crud.update(session, UserAdmin, p, principal2.id, raw, principal2.version)
    assert e.value.errors["scope_units"] == "数据权限为自定义时，须至少选择一个机构"
    crud.update(session, UserAdmin, p, principal2.id, {**raw, "scope_units": "上海分行"}, principal2.version)
    session.refresh(principal2)
    assert load_principal(session, principal2).project_ids == {5, 6, 7, 8}
    crud.update(
        session,
        UserAdmin,
        p,
        principal2.id,
        {**raw, "data_scope": "subtree", "scope_units": "上海分行"},
        principal2.version,
    )
    session.refresh(principal2)
    assert load_principal(session, principal2).project_ids == {3, 4}


def test_money_and_percent_come_from_the_column_kind_not_the_title():
    from pages.housing import PricingStandardAdmin, ProjectAdmin, RoomAdmin

    rate = ProjectAdmin.fields["late_fee_rate"]  # 租金滞纳金日费率(%): its title holds 租金, it is no money
    assert rate.kind == "percent" and rate.display(Decimal("0.05")) == "0.05%"
    assert PricingStandardAdmin.fields["late_fee_rate"].display(Decimal("0.05")) == "0.05%"
    assert RoomAdmin.fields["rent"].kind == "money" and RoomAdmin.fields["rent"].display(Decimal(3200)) == "¥3,200.00"
    assert infer_fields(Room)["area"].kind == "decimal"  # 面积(㎡): a plain number
    assert rate.parse("0.5") == Decimal("0.50") and rate.filter_kind == "range"


def test_the_audit_log_names_each_action_as_its_own_resource_does(session, principal_of):
    from clss_app.admin import audit
    from clss_app.admin.query import display

    p = principal_of("super")
    resources = ["appointments", "reservations", "import_batches", "event_signups", "rooms", "bills"]
    actions = ["action:cancel"] * 4 + ["action:lock", "update"]
    for resource, action in zip(resources, actions):
        audit.record(session, p, resource, None, action, summary=f"test {resource}")
    session.flush()
    rows = session.exec(select(AuditLog).where(AuditLog.summary.like("test %")).order_by(AuditLog.id)).all()
    shown = [d["action"] for d in display(session, AuditLogAdmin, None, rows, ["action", "resource"])]
    assert shown == ["取消预约", "取消预定", "撤销导入", "取消报名", "锁定房间", "修改"]
    frame = io.export_frame(session, AuditLogAdmin, p, ListQuery(q="test ", page_size=20))
    assert frame[AuditLogAdmin.fields["action"].label].to_list() == shown[::-1]  # the list's order: newest first


def test_a_detail_link_opens_the_other_list_filtered_on_the_row(session, principal_of):
    from clss_app.site import app_site
    from models import Building

    p = principal_of("super")
    for admin in app_site().admins():  # every link's column is a filter of the list it opens
        for link in admin.links:
            # A row naming its list (an import batch) opens any admin importing into batches.
            targets = (
                [a for a in app_site().admins() if a.import_scene] if link.admin_in else [app_site().admin(link.admin)]
            )
            for target in targets:
                q = ListQuery.from_params({f"f_{link.column}": "1"}, target, p)
                assert q.filters == {link.column: "1"}, (admin.key, target.key, link)
    building = session.exec(select(Building).order_by(Building.id)).first()
    rooms = app_site().admin("rooms")
    q = ListQuery.from_params({"f_building_id": str(building.id), "size": "100"}, rooms, p)
    shown = fetch_page(session, rooms, p, q)
    assert shown and {r.building_id for r in shown} == {building.id}  # 楼栋 → 房间: that building's rooms only

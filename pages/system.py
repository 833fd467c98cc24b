"""系统管理: organisation, staff, parameters and the audit log, as declarations."""

from typing import Any

from sqlmodel import Session

from clss_app import menu
from clss_app.admin import (
    Action,
    AuditActions,
    Count,
    Errors,
    File,
    Input,
    Labels,
    Link,
    Many,
    MaskedSnapshot,
    ModelAdmin,
    Scope,
    Shown,
    Values,
)
from clss_app.admin.options import Override
from clss_app.core.roles import ADMINS
from clss_app.services import params, pay_orders, staff
from clss_app.services.auth import hash_password
from clss_app.services.permissions import Principal
from models import (
    AuditLog,
    CityParam,
    EnterpriseParam,
    LoginLog,
    OrgUnit,
    PaySettings,
    Role,
    UnitKind,
    User,
    UserProject,
    UserScopeUnit,
)

R = Role
PARENT_KIND = {UnitKind.BRANCH: UnitKind.HQ, UnitKind.COMPANY: UnitKind.BRANCH}


class OrgUnitAdmin(ModelAdmin, model=OrgUnit, key="org_units"):
    list_columns = ["name", "kind", "parent_id", "city", "is_whitelist", "is_operating"]
    search = ["name", "city"]
    filters = ["kind", "parent_id", "is_whitelist", "is_operating"]
    form = ["name", "kind", "parent_id", "city", "is_whitelist", "is_operating", "license_file"]
    fields_override = {"license_file": File(types=("pdf", "jpg", "png"), max_mb=10)}
    default_sort = "id"
    scope, scope_on_create = Scope.unit("id"), Scope.unit("parent_id")
    readonly_for = {"is_whitelist": {R.SYSTEM_ADMIN}}  # HQ decides who is whitelisted
    can_create = can_update = can_export = can_import = ADMINS

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: OrgUnit | None) -> Errors:
        kind, parent = values.get("kind"), session.get(OrgUnit, values.get("parent_id") or 0)
        if kind == UnitKind.HQ:
            return {"kind": "总行只有一个，不能新增或改为总行"} if row is None or row.kind != UnitKind.HQ else {}
        above = PARENT_KIND.get(kind) if isinstance(kind, UnitKind) else None
        if kind is None or above is None or parent is None or parent.kind != above:
            return {"parent_id": f"{kind.label if kind else '机构'}的上级须为{above.label if above else '上级机构'}"}
        return {}


class UserAdmin(ModelAdmin, model=User, key="users"):
    list_columns = [
        "username",
        "display_name",
        "phone",
        "role",
        "org_unit_id",
        "data_scope",
        "is_active",
        "locked_until",
        "last_login_at",
    ]
    search = ["username", "display_name", "phone"]
    filters = ["role", "org_unit_id", "is_active"]
    many = {
        "scope_units": Many(
            UserScopeUnit, "user_id", "unit_id", "自定义范围", help="数据权限为“自定义”时生效，所选机构含其下级"
        ),
        "projects": Many(
            UserProject, "user_id", "project_id", "负责项目", help="店长、店助、多店店长只能看到并操作所负责的项目"
        ),
    }
    form = [
        "username",
        "display_name",
        "phone",
        "role",
        "org_unit_id",
        "data_scope",
        "is_active",
        "scope_units",
        "projects",
    ]
    detail = [
        "username",
        "display_name",
        "phone",
        "role",
        "org_unit_id",
        "data_scope",
        "scope_units",
        "projects",
        "is_active",
        "locked_until",
        "last_login_at",
        "created_at",
    ]
    links = [Link("登录日志", "login_log", "user_id")]
    default_sort = "id"
    scope = Scope.unit("org_unit_id")
    picker_hint = "username"  # people read by 姓名 everywhere; a picker adds the login: 陈店长（manager）
    hidden_for = {"phone": {R.SUPER_ADMIN}}  # HQ manages branch admins, not staff phone numbers
    can_create = can_update = can_export = ADMINS
    actions = [
        Action("unlock", "解锁账号", staff.unlock, ADMINS),
        Action(
            "reset_password",
            "重置密码",
            staff.reset_password,
            ADMINS,
            confirm="确定为选中的 {n} 名员工重置密码吗？新密码只显示一次，对方需重新登录。",
            danger=True,
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: User | None) -> Errors:
        return staff.role_problems(
            session, p, values.get("role"), values.get("org_unit_id")
        ) or staff.assignment_problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: User | None) -> str:
        staff.drop_unused_assignments(
            values,
            values.get("role", row.role if row else None),
            values.get("data_scope", row.data_scope if row else None),
        )
        if row is None:
            pw = staff.temporary_password()
            values["password_hash"] = hash_password(pw)
            return f"初始密码：{pw}（只显示一次）"
        return ""


def _param_fields(level: params.Level) -> dict[str, Override | tuple[Override, ...]]:
    """A parameter by its Chinese name (the key small beside it), its value with its unit (params.py)."""
    fn = params.shown_city if level == "city" else params.shown_enterprise
    return {
        "key": (Labels(params.names(level), hint=True), Input(help=params.key_help(level))),
        "value": (Shown(fn, by="key"), Input(help="按参数类型填写：整数、小数、是/否或选项之一，超出范围会提示")),
    }


class _ParamRules:
    """The catalogue's rules on save (forms and imports): a known key, a value of its type and range."""

    level: params.Level

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Any) -> Errors:
        return params.problems(cls.level, values.get("key") or "", values.get("value") or "")

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Any) -> str:
        key = values.get("key") or (row.key if row is not None else "")
        found = params.param(cls.level, key)
        if found is not None and "value" in values:  # one spelling stored: 5, not "05" or "5 天"
            values["value"] = params.canonical(found, values["value"])
        return ""


class CityParamAdmin(_ParamRules, ModelAdmin, model=CityParam, key="city_params"):
    level = "city"
    list_columns = ["city", "key", "value", "updated_at"]  # 说明 (a note) in the detail: the key has its name
    search = ["city", "key", "value", "remark"]
    form = ["city", "key", "value", "remark"]
    fields_override = _param_fields("city")
    default_sort = "city"
    can_create = can_update = can_delete = can_export = can_import = frozenset({R.SUPER_ADMIN})


class EnterpriseParamAdmin(_ParamRules, ModelAdmin, model=EnterpriseParam, key="enterprise_params"):
    level = "enterprise"
    list_columns = ["company_id", "key", "value", "updated_at"]
    search = ["key", "value", "remark"]
    filters = ["company_id"]
    form = ["company_id", "key", "value", "remark"]
    fields_override = _param_fields("enterprise")
    scope = Scope.unit("company_id")
    can_create = can_update = can_delete = can_export = can_import = frozenset({R.SYSTEM_ADMIN})


class PaySettingsAdmin(ModelAdmin, model=PaySettings, key="pay_settings"):
    """支付参数 (龙支付参数): the key is typed once through 设置签名密钥 and kept sealed; only its fingerprint
    is ever shown again (services/pay_orders.set_key)."""

    list_columns = ["company_id", "merchant_no", "terminal_no", "key_fingerprint", "key_set_at", "enabled"]
    search = ["merchant_no", "terminal_no"]
    filters = ["company_id", "enabled"]
    form = ["company_id", "merchant_no", "terminal_no", "expire_minutes", "enabled"]
    detail = [*form, "key_fingerprint", "key_set_at", "updated_at"]
    fields_override = {
        "merchant_no": Input(help="15 位数字，银行开通龙支付时提供"),
        "terminal_no": Input(help="8 位数字"),
        "key_fingerprint": Shown(lambda v, _: v or "未设置"),
    }
    noun = "支付参数"
    scope = Scope.unit("company_id")
    can_create = can_update = frozenset({R.SYSTEM_ADMIN})
    actions = [
        Action(
            "set_key",
            "设置签名密钥",
            pay_orders.set_key,
            {R.SYSTEM_ADMIN},
            input_label="新的签名密钥（保存后不再显示）",
            input_required=True,
            confirm="为选中的 {n} 个商户设置签名密钥：密钥加密保存，之后只显示其指纹。",
            primary=True,
        )
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Any) -> Errors:
        out = {}
        for name, n in (("merchant_no", 15), ("terminal_no", 8)):
            v = values.get(name)
            if v is not None and (len(v) != n or not v.isdigit()):
                out[name] = f"须为 {n} 位数字"
        return out


class AuditLogAdmin(ModelAdmin, model=AuditLog, key="audit_log"):
    # Each action by its own resource's name for it (appointments' cancel is 取消预约): built by the site.
    fields_override = {
        "resource": Labels({k: e.label for k, e in menu.ENTRIES.items()}),
        "action": AuditActions(),
        "before": MaskedSnapshot(),  # a tenant's phone changed reads 138****1234 here as on its own page
        "after": MaskedSnapshot(),
    }
    list_columns = ["at", "username", "resource", "action", "summary"]
    search = ["summary", "username", "resource"]
    filters = ["at"]
    detail = ["at", "username", "org_unit_id", "resource", "row_id", "action", "summary", "before", "after"]
    sortable = ["at"]
    count = Count.CAPPED
    scope = Scope.unit("org_unit_id")
    can_export = ADMINS


class LoginLogAdmin(ModelAdmin, model=LoginLog, key="login_log"):
    """Read-only: written by every login attempt, lock and unlock (services/auth.py)."""

    list_columns = ["at", "username", "outcome", "address", "org_unit_id", "detail"]
    search = ["username", "address"]
    filters = ["at", "outcome", "username", "user_id"]
    detail = ["at", "username", "user_id", "org_unit_id", "address", "outcome", "detail"]
    sortable = ["at"]
    count = Count.CAPPED
    scope = Scope.unit("org_unit_id")  # unknown usernames have no unit: only unrestricted admins see them
    can_export = ADMINS

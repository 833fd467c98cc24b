"""用户管理 → 用户导入: people a company imports from a spreadsheet (or adds one by one) for 住房云 to
verify, as a declaration. The rules are in clss_app/services/user_import.py.

Imported rows wait as 待创建 for the nightly batch (T+1); 单个新增 with 是否直接创建客户 asks 住房云 at
once. 待创建 and 创建失败 rows are edited (an edit of a 创建失败 row sends it back to 待创建); the
others are read only. 运营类 companies are refused on every write (the manual closes the page to them).
"""

from sqlmodel import Session

from clss_app.admin import Errors, Input, Masked, ModelAdmin, Scope, Values
from clss_app.core.privacy import id_number_problem, normalise_id_number
from clss_app.core.roles import FRONT_DESK, OWNERS, STORE
from clss_app.services import user_import
from clss_app.services.marketing import PHONE
from clss_app.services.permissions import Principal
from models import ImportedUser, UserImportState

PERSON = ["name", "phone", "id_number", "company_id"]


class ImportedUserAdmin(ModelAdmin, model=ImportedUser, key="user_imports"):
    list_columns = ["name", "phone", "id_number", "state", "reason", "created_at", "checked_at"]
    search = ["name", "phone", "id_number"]
    filters = ["state", "created_at", "company_id", "import_batch_id"]
    primary_filters = ["state", "created_at", "import_batch_id"]
    form = [*PERSON, "create_now"]
    import_form = PERSON  # an imported row waits for the nightly batch
    detail = [*PERSON, "state", "reason", "tenant_id", "create_now", "import_batch_id", "created_at", "checked_at"]
    fields_override = {
        "phone": Masked("phone", full=FRONT_DESK, reveal=OWNERS),
        "id_number": Masked("id_number", full=FRONT_DESK, reveal=OWNERS),
        "create_now": Input(help="选“是”将立即调用住房云验证并创建客户；否则待夜间跑批（T+1）验证"),
    }
    noun = "用户"
    create_label = "单个新增"
    default_sort = "-id"
    scope = Scope.unit("company_id")
    can_create = can_update = can_import = STORE
    update_when = {"state": user_import.EDITABLE}  # 创建成功 / 已存在: 查看 only
    can_export = OWNERS
    import_scene = "用户导入"

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: ImportedUser | None) -> Errors:
        closed = user_import.operating_problem(session, values.get("company_id"))
        if closed:
            return {"company_id": closed}
        errors: Errors = {}
        if values.get("phone") and not PHONE.match(values["phone"]):
            errors["phone"] = "手机号须为 11 位数字，以 1 开头"
        problem = id_number_problem(values.get("id_number") or "")
        if problem:
            errors["id_number"] = problem
        return errors

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: ImportedUser | None) -> str:
        if values.get("id_number"):
            values["id_number"] = normalise_id_number(values["id_number"])
        if row is not None:  # fixed details are checked again by the next batch
            values.update(state=UserImportState.PENDING, reason="", checked_at=None)
            return "已改为待创建，将在夜间跑批时重新验证" if row.state == UserImportState.FAILED else ""
        if values.get("create_now"):
            return user_import.check_now(session, p, values)
        return "待夜间跑批（T+1）经住房云验证后创建客户"

    @classmethod
    def cancel_problem(cls, row: ImportedUser) -> str:
        return user_import.cancel_problem(row)

"""系统管理 → 项目参数 (在线签约设置) and 合同管理 → 合同导入, as declarations.

The rules live in clss_app/services/signing.py and contract_imports.py: only a system admin turns a
project's 代扣 on (readonly to the others here, refused by the service too); imported contracts take the
project's settings and become real in the nightly batch (T+1).
"""

from sqlmodel import Session

from clss_app.admin import Action, Errors, Input, Link, Masked, ModelAdmin, Range, Scope, Values, Within, ask
from clss_app.core.roles import FRONT_DESK, OWNERS, STORE, SYS
from clss_app.services import contract_imports, signing
from clss_app.services.permissions import Principal
from models import ContractImport, ImportState, Project, Role, WithholdAgreement

NOT_SYS = frozenset(Role) - SYS


class ProjectParamsAdmin(ModelAdmin, model=Project, key="project_params"):
    """在线签约设置 of each project in the user's scope (a second list of the projects)."""

    list_columns = ["name", "company_id", "withhold_enabled", "withhold_day", "bill_mode", "pay_cycle"]
    search = ["name"]
    filters = ["company_id", "withhold_enabled", "bill_mode"]
    form = ["contract_terms", "withhold_enabled", "withhold_day", "bill_mode", "pay_cycle"]
    detail_groups = {
        "项目": ["name", "company_id", "kind"],
        "代扣与账单": ["withhold_enabled", "withhold_day", "bill_mode", "pay_cycle"],
        "合同条款": ["contract_terms"],
    }
    fields_override = {
        "withhold_enabled": Input(help="只有系统管理员可以开启代扣（企业须先开通批量代扣）"),
        "withhold_day": (Range(1, 28), Input(help="每月几号自动发起本项目的银行代扣（1–28）")),
        "bill_mode": Input(help="月初：按自然月出账；对日：按起租日出账。同一项目的合同须采用同一种计费方式"),
        "pay_cycle": Input(help="合同导入时采用的缴费周期"),
        "contract_terms": Input(help="打印合同时使用，每行一条；不填则使用系统默认条款"),
    }
    noun = "签约设置"
    default_sort = "id"
    scope = Scope.project("id")
    can_update = SYS
    readonly_for = {"withhold_enabled": NOT_SYS}  # 代扣开启: the branch's system admin (manual)
    links = [Link("费项设置（手工录入默认金额）", "fee_items", "project_id", totals=())]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Project | None) -> Errors:
        return signing.problems(session, p, values, row)


class SigningSettingsAdmin(ProjectParamsAdmin, model=Project, key="signing_settings"):
    """The same settings where the store reaches them (manual: 合同管理 → 签约办理 → 在线签约设置); 代扣开启
    stays the system admin's (readonly here, refused by the service)."""

    can_update = OWNERS


CARD_INPUTS = ask(
    WithholdAgreement,
    "card_no",
    "bank_name",
    card_no=Input(label="新代扣银行卡号", help="16–19 位数字，可带空格"),
    bank_name=Input(required=False, help="不填沿用原开户银行"),
)


CHANGE_CARD = Action(
    "change_card",
    "修改代扣银行卡号",
    contract_imports.change_card,
    STORE,
    confirm="更换该租客的代扣银行卡：原代扣协议解约，以新卡号签订新协议（企业代签）。",
    inputs=CARD_INPUTS,
)


class ContractImportAdmin(ModelAdmin, model=ContractImport, key="contract_imports"):
    list_columns = [
        "room_id",
        "tenant_id",
        "project_id",
        "start_date",
        "end_date",
        "monthly_rent",
        "state",
        "contract_no",
        "failure",
    ]
    search = ["tenant_ref", "contract_no", "room.number", "tenant.name"]
    filters = ["project_id", "state", "confirmed_on", "start_date", "import_batch_id"]
    form = ["project_id", "room_id", "tenant_ref", "start_date", "end_date"]
    fields_override = {
        "room_id": Within("project_id"),
        # The tenant's 身份证号 or 手机号: masked as the tenant's own numbers are (the phone's mask, which
        # hides the more of either).
        "tenant_ref": (
            Input(label="租客（证件号码或手机号）", help="本企业已登记的租客"),
            Masked("phone", full=FRONT_DESK, reveal=OWNERS),
        ),
    }
    detail_groups = {
        "合同": ["state", "project_id", "room_id", "tenant_id", "tenant_ref", "contract_no", "contract_id", "failure"],
        "租期与计费（取自项目在线签约设置）": [
            "start_date",
            "end_date",
            "monthly_rent",
            "deposit",
            "bill_mode",
            "cycle",
        ],
        "导入与确认": ["import_batch_id", "created_by_id", "created_at", "confirmed_on", "confirmed_by_id"],
    }
    noun = "合同"  # 导入合同 in the import dialog, not 导入导入合同
    default_sort = "-id"
    scope = Scope.project("project_id")
    can_import = can_export = STORE
    import_scene = "合同导入"
    picker_hint = "project_id"
    actions = [
        Action(
            "confirm",
            "确认",
            contract_imports.confirm,
            STORE,
            confirm="确认选中的 {n} 份导入合同？确认后于当日日终批处理生成正式合同及账单（T+1 可见）。",
            when={"state": (ImportState.PENDING,)},
            primary=True,
        ),
        Action(
            "unconfirm",
            "取消确认",
            contract_imports.unconfirm,
            STORE,
            confirm="取消确认选中的 {n} 份导入合同？它们回到待确认，不会生成正式合同。",
            when={"state": (ImportState.CONFIRMED,)},
        ),
        CHANGE_CARD,
        Action(
            "remove",
            "删除",
            contract_imports.delete,
            STORE,
            danger=True,
            confirm="删除选中的 {n} 份导入合同？删除后可重新导入。",
            when={"state": contract_imports.DELETABLE},
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: ContractImport | None) -> Errors:
        return contract_imports.row_problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: ContractImport | None) -> str:
        contract_imports.prepare(session, p, values)
        return ""

    @classmethod
    def cancel_problem(cls, row: ContractImport) -> str:
        return contract_imports.cancel_problem(row)

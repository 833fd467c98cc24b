"""存房业务: 存房申请 (landlords' applications from the 建融家园 APP), 存房合同 and their 存房付款计划, as
declarations. The rules live in clss_app/services/consign.py.

A landlord's phone and 身份证号 read in full only to the front desk, who call the landlord and check the
ID; a payee card reads in full also to finance, who pay the landlord.
"""

from clss_app.admin import Action, Input, Link, Masked, ModelAdmin, Scope, Sort, approve_reject, ask
from clss_app.core.roles import FIN, FRONT_DESK, OWNERS, STORE
from clss_app.services import consign
from models import ConsignApplication, ConsignContract, ConsignPayment, ConsignState

PRIVATE = {
    "landlord_phone": Masked("phone", full=FRONT_DESK, reveal=OWNERS),
    "landlord_id_number": Masked("id_number", full=FRONT_DESK, reveal=OWNERS),
}
NOT_TOLD = {"app_pending": (True,)}


def tell_again(roles: frozenset) -> Action:
    return Action(
        "tell_again",
        "重新通知APP",
        consign.tell_again,
        roles,
        confirm="将选中的 {n} 条记录重新发送建融家园？房东端按同一编号接收，重复发送不会重复处理。",
        when=NOT_TOLD,
    )


class ConsignApplicationAdmin(ModelAdmin, model=ConsignApplication, key="consign_applications"):
    list_columns = [
        "number",
        "landlord_name",
        "state",
        "valid_until",
        "house_address",
        "expected_rent",
    ]  # 建筑面积 and 申请时间 in the detail (有效期至 is the date to act on): the rest stays in sight at 1366 px
    search = ["number", "landlord_name", "house_address"]
    filters = ["state", "submitted_at", "valid_until", "app_pending", "company_id"]
    detail_groups = {
        "申请": ["number", "state", "company_id", "submitted_at", "valid_until", "reason"],
        "房东": ["landlord_name", "landlord_phone", "landlord_id_number"],
        "房屋": ["city", "house_address", "house_area", "layout", "expected_rent", "expected_months"],
        "办理": ["reviewed_by_id", "reviewed_at", "chosen_at", "app_pending", "app_error"],
    }
    fields_override = dict(PRIVATE)
    noun = "存房申请"
    # The work first: applications to review and contracts to draft, the nearest deadline on top.
    default_sort = Sort("valid_until", first={"state": (ConsignState.PENDING, ConsignState.CHOSEN)}, then="-id")
    scope = Scope.unit("company_id")
    can_export = STORE
    links = [Link("存房合同", "consign_contracts", "application_id", totals=())]
    actions = [
        *approve_reject(consign.decide, STORE, when={"state": (ConsignState.PENDING,)}),
        Action(
            "draft",
            "拟定合同",
            consign.draft,
            STORE,
            inputs=ask(
                ConsignContract,
                "start_date",
                "end_date",
                "monthly_rent",
                "cycle",
                "bill_mode",
                "payee_bank",
                "payee_card_no",
                monthly_rent=Input(help="每月支付给房东的租金"),
                payee_card_no=Input(help="房东收取租金的银行卡，16–19 位数字"),
            ),
            confirm="为选中的存房申请拟定存房合同：合同发送至房东的建融家园APP，房东签约后生效并生成付款计划。",
            when={"state": (ConsignState.CHOSEN,)},
            primary=True,
        ),
        tell_again(STORE),
    ]


class ConsignContractAdmin(ModelAdmin, model=ConsignContract, key="consign_contracts"):
    list_columns = [
        "number",
        "landlord_name",
        "state",
        "house_address",
        "start_date",
        "end_date",
        "monthly_rent",
        "cycle",
    ]
    search = ["number", "landlord_name", "house_address"]
    filters = ["state", "start_date", "cycle", "app_pending", "company_id", "application_id"]
    detail_groups = {
        "合同": ["number", "state", "company_id", "application_id", "drafted_by_id", "drafted_at", "signed_at"],
        "房东": ["landlord_name", "landlord_phone", "landlord_id_number", "payee_bank", "payee_card_no"],
        "房屋": ["house_address", "house_area", "layout"],
        "租期与租金": ["start_date", "end_date", "monthly_rent", "cycle", "bill_mode"],
        "建融家园": ["app_pending", "app_error"],
    }
    fields_override = {**PRIVATE, "payee_card_no": Masked("bank_card", full=FRONT_DESK | FIN, reveal=OWNERS)}
    noun = "存房合同"
    default_sort = "-id"
    scope = Scope.unit("company_id")
    can_export = STORE | FIN
    links = [Link("付款计划", "consign_payments", "contract_id", totals=("amount",))]
    actions = [tell_again(STORE)]


class ConsignPaymentAdmin(ModelAdmin, model=ConsignPayment, key="consign_payments"):
    """存房付款计划: what the company pays each landlord and when (payable, apart from tenants' bills)."""

    list_columns = ["contract_id", "period_no", "period_start", "period_end", "due_date", "amount"]
    search = ["contract.number", "contract.landlord_name"]
    filters = ["due_date", "contract_id", "company_id"]
    noun = "应付租金"
    default_sort = "due_date"
    scope = Scope.unit("company_id")
    can_export = STORE | FIN


AUDIT_LABELS = [
    ("consign_applications", "app_apply", "房东提交申请"),
    ("consign_applications", "app_choose", "房东选择本企业"),
    ("consign_applications", "app_sign", "房东签约"),
    ("consign_applications", "lapse", "失效"),
    ("consign_contracts", "app_sign", "房东签约"),
]

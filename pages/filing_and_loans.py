"""合同管理 → 网签和备案, 财务管理 → 贷款记录 and 系统管理 → 贷款参数, as declarations.

The rules live in clss_app/services/filing.py and loans.py; the contract list's 按居贷支付 is declared
with the contract list (pages/leasing.py).
"""

from sqlmodel import Session

from clss_app.admin import NOBODY, Action, Count, Errors, Input, Link, ModelAdmin, Scope, Sort, Values, Within
from clss_app.core.roles import FIN, STORE, SYS
from clss_app.services import filing, loans
from clss_app.services.permissions import Principal
from models import Contract, FilingState, Loan, LoanParam, LoanState
from pages.leasing import ContractAdmin


class ContractFilingAdmin(ContractAdmin, model=Contract, key="contract_filings"):
    """网签和备案: the contracts of the user's projects with their 政府备案; 备案 / 撤销备案 through the city's
    监管平台 (only cities whose 城市参数 对接监管平台 is 是: the service refuses the others, naming it)."""

    list_columns = [
        "number",
        "room_id",
        "tenant_id",
        "state",
        "filing_state",
        "filing_no",
        "filed_at",
        "filing_note",
    ]
    # 项目 is the filter in sight, not a column: a refusal's 备案说明 (up to 200 px) keeps clear of 操作.
    filters = ["project_id", "filing_state", "state", "filed_at", "signed_on", "tenant_id", "room_id"]
    primary_filters = ["project_id", "filing_state", "state"]
    noun = "合同"
    state_field = "filing_state"
    default_sort = Sort("-id")  # the newest contracts first
    can_create = NOBODY
    links = [Link("账单", "bills", "contract_id")]
    actions = [
        Action(
            "file",
            "备案",
            filing.file_contracts,
            STORE,
            confirm="将选中的 {n} 份合同报送监管平台备案？平台按合同编号受理，重复提交不会重复备案。",
            when={"filing_state": (FilingState.NONE, FilingState.FILING), "state": filing.FILEABLE},
            primary=True,
        ),
        Action(
            "revoke",
            "撤销备案",
            filing.revoke_filings,
            STORE,
            danger=True,
            confirm="撤销选中的 {n} 份合同在监管平台的备案？撤销后政府备案显示为否，可重新备案。",
            # Under 更多, not primary: its red button on every filed row pushed 备案说明 under 操作.
            when={"filing_state": (FilingState.FILED,)},
        ),
    ]


class LoanParamAdmin(ModelAdmin, model=LoanParam, key="loan_params"):
    """贷款参数: each project's 按居贷 mode and quota, set by the branch's 系统管理员."""

    list_columns = ["company_id", "project_id", "mode", "quota", "used", "enabled", "updated_at"]
    search = ["project.name"]
    filters = ["company_id", "project_id", "mode", "enabled"]
    form = ["company_id", "project_id", "mode", "quota", "enabled"]
    fields_override = {
        "project_id": Within("company_id"),
        "mode": Input(help="信用：开发商不担保；担保：开发商代偿租客未清偿的贷款"),
        "quota": Input(help="本项目按居贷放款总额上限（元）；已放款与审批中的贷款占用额度"),
    }
    noun = "贷款参数"
    default_sort = "project_id"
    scope = Scope.unit("company_id")
    can_create = can_update = can_export = SYS
    links = [Link("贷款记录", "loans", "project_id", totals=("amount",))]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: LoanParam | None) -> Errors:
        return loans.param_problems(values.get("quota"), values.get("project_id"), row)


class LoanAdmin(ModelAdmin, model=Loan, key="loans"):
    """贷款记录: every 按居贷 application and the bank's answer; 审批中 ones the bank has not answered may be
    sent again under their number."""

    list_columns = ["number", "contract_id", "tenant_id", "project_id", "mode", "amount", "state", "note", "created_at"]
    search = ["number", "bank_ref", "tenant.name", "contract.number"]
    filters = ["state", "mode", "created_at", "project_id", "contract_id", "tenant_id", "company_id"]
    primary_filters = ["state", "project_id", "created_at"]
    noun = "贷款"
    default_sort = Sort("-created_at", first={"state": (LoanState.PENDING,)})  # the unanswered lead
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_export = STORE | FIN
    actions = [
        Action(
            "resubmit",
            "重新提交",
            loans.resubmit,
            STORE | FIN,
            confirm="将选中的 {n} 笔审批中的贷款再次提交银行？银行按贷款编号受理，不会重复放款。",
            when={"state": (LoanState.PENDING,)},
            primary=True,
        )
    ]

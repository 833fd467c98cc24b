"""保险管理: products and their cover options, project plans, additional info and the policy list."""

from sqlmodel import Session

from clss_app.admin import Errors, Input, Link, ModelAdmin, Range, Scope, Shown, Values
from clss_app.core.roles import SYS
from clss_app.services import insurance
from clss_app.services.permissions import Principal
from models import InsuranceCover, InsuranceExtra, InsuranceProduct, Policy, ProjectInsurancePlan, Role

R = Role


class InsuranceProductAdmin(ModelAdmin, model=InsuranceProduct, key="insurance_products"):
    list_columns = ["name", "kind", "insurer", "enabled"]
    search = ["name", "insurer"]
    filters = ["kind", "enabled"]
    form = ["name", "kind", "insurer", "description", "enabled"]
    links = [Link("保额档位", "insurance_covers", "product_id"), Link("附加信息", "insurance_extras", "product_id")]
    can_create = can_update = can_delete = can_export = SYS


class InsuranceCoverAdmin(ModelAdmin, model=InsuranceCover, key="insurance_covers"):
    fields_override = {"premium": Range(1), "cover_amount": Range(100)}
    list_columns = ["product_id", "name", "cover_amount", "premium"]
    filters = ["product_id"]
    form = ["product_id", "name", "cover_amount", "premium"]
    default_sort = "product_id"
    picker_hint = "product_id"  # "一个月押金（押金无忧险）"
    can_create = can_update = can_delete = can_export = SYS

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: InsuranceCover | None) -> Errors:
        if values.get("premium") and values.get("cover_amount") and values["premium"] >= values["cover_amount"]:
            return {"premium": "保费须低于保额"}
        return {}


class ProjectPlanAdmin(ModelAdmin, model=ProjectInsurancePlan, key="project_insurance"):
    fields_override = {
        f: Input(help="仅该项目的首个方案需填写；之后的方案沿用首个方案的分行信息") for f in insurance.BRANCH_FIELDS
    }
    list_columns = ["project_id", "product_id", "mode", "gift_cover_id", "branch_name", "branch_code", "created_at"]
    filters = ["project_id", "product_id", "mode"]
    form = ["project_id", "product_id", "mode", "gift_cover_id", *insurance.BRANCH_FIELDS]
    default_sort = "project_id"
    scope = Scope.project("project_id")
    can_create = can_update = can_delete = can_export = SYS

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: ProjectInsurancePlan | None) -> Errors:
        return insurance.plan_problems(session, values, row)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: ProjectInsurancePlan | None) -> str:
        return insurance.inherit_branch(session, values) if row is None else ""


class InsuranceExtraAdmin(ModelAdmin, model=InsuranceExtra, key="insurance_extras"):
    list_columns = ["product_id", "key", "value"]
    search = ["key", "value"]
    filters = ["product_id"]
    form = ["product_id", "key", "value"]
    default_sort = "product_id"
    can_create = can_update = can_delete = can_export = SYS


def _source(gifted: object, _: object) -> str:
    return "赠送" if gifted else "购买"


class PolicyAdmin(ModelAdmin, model=Policy, key="policies"):
    # 赠送 (given at a first check-in) or 购买 (bought in the APP), each with its state.
    fields_override = {"gifted": (Shown(_source), Input(label="来源"))}
    list_columns = [
        "number",
        "project_id",
        "contract_id",
        "tenant_id",
        "product_id",
        "cover_amount",
        "premium",
        "gifted",
        "state",
        "starts_on",
        "ends_on",
    ]
    search = ["number"]
    filters = ["project_id", "product_id", "state", "gifted", "starts_on", "contract_id"]
    noun = "保单"
    default_sort = "-starts_on"
    scope = Scope.project("project_id")
    can_export = SYS | {R.FINANCE, R.PRINCIPAL}

"""租务 and 合同: tenants, appointments, reservations, contracts, check-in, check-out, online-signing review."""

import re
from decimal import Decimal

from sqlmodel import Session

from clss_app.admin import (
    NOBODY,
    Action,
    Errors,
    File,
    Input,
    Link,
    Many,
    Masked,
    ModelAdmin,
    Scope,
    Sort,
    Values,
    Within,
    approve_reject,
    ask,
)
from clss_app.admin.fields import FieldSpec
from clss_app.core.privacy import id_number_problem, normalise_id_number
from clss_app.core.roles import FRONT_DESK, OWNERS, STORE
from clss_app.core.timeline import Event
from clss_app.services import (
    documents,
    extra_fees,
    lease_changes,
    leasing,
    loans,
    master_leases,
    prepaid,
    tenant_lease,
    timelines,
    user_import,
)
from clss_app.services.permissions import Principal
from models import (
    UNSIGNED_CONTRACT_STATES,
    Appointment,
    AppointmentState,
    Bill,
    Contract,
    ContractState,
    DepositDecision,
    DepositState,
    MasterLease,
    MasterLeaseRoom,
    MeterReading,
    PayCycle,
    Reservation,
    ReservationState,
    Role,
    Room,
    Tenant,
)
from pages.printing import printed
from pages.signing import CHANGE_CARD

R = Role
IN_PROJECT = Within("project_id")
PHONE = re.compile(r"^1\d{10}$")
PHONE_MASKED = Masked("phone", full=FRONT_DESK, reveal=OWNERS)


def _phone_problems(values: Values) -> Errors:
    phone = values.get("phone")
    return {"phone": "手机号须为 11 位数字，以 1 开头"} if phone and not PHONE.match(phone) else {}


def _room_project(session: Session, values: Values) -> None:
    room = session.get(Room, values["room_id"]) if values.get("room_id") else None
    if room is not None:  # the scope column follows the room
        values["project_id"] = room.project_id


class TenantAdmin(ModelAdmin, model=Tenant, key="tenants"):
    list_columns = ["name", "phone", "id_number", "company_id", "created_at"]
    search = ["name", "phone", "id_number"]
    filters = ["company_id"]
    form = ["name", "phone", "id_number", "company_id"]
    fields_override = {"phone": PHONE_MASKED, "id_number": Masked("id_number", full=FRONT_DESK, reveal=OWNERS)}
    scope = Scope.unit("company_id")
    can_create = can_update = STORE
    can_import = STORE  # the manual's 用户导入: a company's tenants from a spreadsheet
    can_export = OWNERS
    links = [
        Link("合同", "contracts", "tenant_id"),
        Link("预定", "reservations", "tenant_id"),
        Link("预收明细", "balances", "tenant_id"),
        Link("代扣协议", "withhold_agreements", "tenant_id", totals=()),
    ]
    actions = [
        Action(
            "offset",
            "预收冲抵",
            prepaid.offset,
            STORE,
            confirm="用选中租客的预收余额冲抵其已确认未缴的账单（按应收日期从早到晚）。",
        ),
        Action(
            "refund_prepaid",
            "预收退款",
            prepaid.request_refund,
            STORE,
            inputs=(
                FieldSpec(
                    "amount",
                    "退款金额(元)",
                    "money",
                    min_value=Decimal("0.01"),
                    max_value=prepaid.MAX_PREPAY,
                    help="不填则退还全部预收余额",
                ),
            ),
            input_label="退款原因",
            input_required=True,
            confirm="为选中租客申请退还预收余额：生成待退款账单，经退款管理办理线下退款并由财务确认。",
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Tenant | None) -> Errors:
        foreign = user_import.tenant_edit_problem(p, row)
        if foreign:
            return {"name": foreign}
        errors = _phone_problems(values)
        problem = id_number_problem(values.get("id_number") or "") if values.get("id_number") else ""
        return {**errors, "id_number": problem} if problem else errors

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Tenant | None) -> str:
        if values.get("id_number"):
            values["id_number"] = normalise_id_number(values["id_number"])
        return ""


class AppointmentAdmin(ModelAdmin, model=Appointment, key="appointments"):
    fields_override = {"room_id": IN_PROJECT, "phone": PHONE_MASKED}
    list_columns = ["name", "phone", "project_id", "visit_at", "room_id", "state", "note"]
    search = ["name", "phone", "room.number"]
    filters = ["project_id", "state", "visit_at", "created_at"]
    form = ["project_id", "name", "phone", "visit_at", "room_id", "note"]
    noun = "预约"
    # Visits still to come (or to record) lead, the soonest first; the rest follow, latest first.
    default_sort = Sort("visit_at", first={"state": (AppointmentState.PENDING,)}, then="-visit_at")
    scope = Scope.project("project_id")
    can_create = can_update = STORE
    can_export = OWNERS
    links = [Link("预定", "reservations", "appointment_id")]
    detail_groups = {
        "客户信息": ["name", "phone", "state"],
        "看房安排": ["project_id", "visit_at", "room_id", "note"],
        "系统信息": ["created_at"],
    }
    actions = [
        Action(
            "visited",
            "已看房",
            leasing.appointment_step(AppointmentState.VISITED),
            STORE,
            when={"state": (AppointmentState.PENDING,)},
            primary=True,
        ),
        Action(
            "cancel",
            "取消预约",
            leasing.appointment_step(AppointmentState.CANCELLED),
            STORE,
            danger=True,
            when={"state": (AppointmentState.PENDING,)},
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Appointment | None) -> Errors:
        return _phone_problems(values)


CONTRACT_TERMS = ask(
    Contract,
    "start_date",
    "end_date",
    "monthly_rent",
    "deposit",
    "cycle",
    "bill_mode",
    monthly_rent=Input(required=False, help="不填按房间月租金"),
    deposit=Input(required=False, help="不填按房间押金"),
)


HOLDING = {"state": (ReservationState.ACTIVE,)}


DEPOSIT_DECISION = FieldSpec("deposit_decision", "定金处理", "enum", required=True, enum=DepositDecision)


class ReservationAdmin(ModelAdmin, model=Reservation, key="reservations"):
    list_columns = [
        "room_id",
        "tenant_id",
        "project_id",
        "deposit",
        "hold_until",
        "state",
        "deposit_state",
        "created_at",
    ]
    search = ["tenant.name", "tenant.phone", "room.number"]
    filters = [
        "project_id",
        "state",
        "deposit_state",
        "hold_until",
        "created_at",
        "tenant_id",
        "appointment_id",
        "room_id",
    ]
    form = ["room_id", "tenant_id", "deposit", "hold_until", "appointment_id", "note"]
    noun = "预定"
    default_sort = Sort("hold_until", first={"state": (ReservationState.ACTIVE,)}, then="-id")
    scope = Scope.project("project_id")
    can_create = STORE
    can_export = OWNERS
    links = [Link("合同", "contracts", "reservation_id")]
    detail_groups = {
        "基本信息": ["room_id", "tenant_id", "project_id", "state"],
        "定金与保留": ["deposit", "hold_until", "deposit_state", "deposit_reason", "deposit_by_id"],
        "系统信息": ["appointment_id", "note", "created_at"],
    }
    actions = [
        Action(
            "convert",
            "预定转签约",
            leasing.convert_reservations,
            STORE,
            inputs=CONTRACT_TERMS,
            confirm="将选中的 {n} 个预定转为合同：房间转为待入住，定金抵扣首期账单。",
            when=HOLDING,
            primary=True,
        ),
        Action(
            "cancel",
            "取消预定",
            leasing.cancel_reservations,
            STORE,
            danger=True,
            inputs=(DEPOSIT_DECISION,),
            input_label="取消原因",
            input_required=True,
            confirm="确定取消选中的 {n} 个预定吗？房间将恢复空闲可租；定金退还的，由财务办理退款。",
            when=HOLDING,
        ),
        Action(
            "settle_deposit",
            "处理定金",
            leasing.settle_deposits,
            STORE,
            inputs=(DEPOSIT_DECISION,),
            input_label="原因",
            input_required=True,
            confirm="处理选中的 {n} 个已失效预定的定金：退还（由财务办理退款）或没收。",
            when={
                "state": (ReservationState.CANCELLED, ReservationState.EXPIRED),
                "deposit_state": (DepositState.HELD,),
            },
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Reservation | None) -> Errors:
        return leasing.reservation_problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Reservation | None) -> str:
        _room_project(session, values)
        return ""

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: Reservation) -> None:
        leasing.on_reserved(session, p, row)


RUNNING = {"state": (ContractState.ACTIVE,)}  # 执行中: the lease changes and 退房 apply to it
CHECK_IN = Action(
    "check_in",
    "办理入住",
    leasing.check_in,
    STORE,
    inputs=ask(Contract, "checked_in_on", "power_in", "water_in", required=("checked_in_on",)),
    confirm="为选中的 {n} 份合同办理入住：合同转为执行中，房间转为在租。",
    when={"state": (ContractState.SIGNED,)},
    primary=True,
)
CHECK_OUT = Action(
    "check_out",
    "办理退房",
    lease_changes.check_out,
    OWNERS,
    inputs=ask(Contract, "checked_out_on", "power_out", "water_out", required=("checked_out_on",)),
    confirm="为选中的 {n} 份合同办理退房：按退房日结算租金、水电并退还押金，房间恢复空闲可租。",
    when=RUNNING,
    primary=True,
)


OUT_READINGS = ask(
    Contract,
    "power_out",
    "water_out",
    power_out=Input(label="电表读数（原房间）"),
    water_out=Input(label="水表读数（原房间）"),
)
RENEW = Action(
    "renew",
    "续租",
    lease_changes.renew,
    STORE,
    inputs=ask(
        Contract,
        "end_date",
        "monthly_rent",
        "cycle",
        "bill_mode",
        end_date=Input(label="续租到期日"),
        monthly_rent=Input(required=False, label="续租月租金(元)", help="不填沿用原租金"),
        cycle=Input(required=False),
        bill_mode=Input(required=False),
    ),
    confirm="为选中的 {n} 份合同续租：新合同自原到期日次日起，原合同到期后自动生效，押金沿用。",
    when=RUNNING,
)
CHANGE_ROOM = Action(
    "change_room",
    "换房",
    lease_changes.change_room,
    OWNERS,
    inputs=(
        FieldSpec("change_date", "换房日期", "date", required=True),
        FieldSpec("new_room", "新房间房号", "str", required=True, max_length=32, help="同项目内空闲可租的房间"),
        *ask(
            Contract,
            "monthly_rent",
            monthly_rent=Input(required=False, label="新房间月租金(元)", help="不填按新房间租金"),
        ),
        FieldSpec("compensation", "换房赔偿金(元)", "money", min_value=Decimal(0), max_value=Decimal(100000)),
        *OUT_READINGS,
        *ask(
            Contract,
            "power_in",
            "water_in",
            power_in=Input(label="电表读数（新房间）"),
            water_in=Input(label="水表读数（新房间）"),
        ),
    ),
    confirm="换房：原合同在换房日关闭，新合同自次日起至原到期日；未用完的预付租金结转到新合同，押金随租客转入。",
    when=RUNNING,
)
SUBLET = Action(
    "sublet",
    "转租",
    lease_changes.sublet,
    OWNERS,
    inputs=(
        FieldSpec("sublet_date", "转租日期", "date", required=True),
        FieldSpec("tenant_phone", "新租客手机号", "str", required=True, max_length=11, help="须先在租客管理中登记"),
        *OUT_READINGS,
    ),
    confirm="转租：原租客在转租日结算离开，新租客的合同自次日起至原到期日，缴纳首期款后办理入住。",
    when=RUNNING,
)
READ_METERS = Action(
    "read_meters",
    "抄表",
    lease_changes.read_meters,
    STORE,
    inputs=ask(MeterReading, "read_on", "power", "water"),
    confirm="为选中的 {n} 份合同登记抄表读数：自上次读数以来的用量生成水电费账单（未确认）。",
    when=RUNNING,
)


ADD_FEE = Action(
    "add_fee",
    "添加账单费用",
    extra_fees.add_fee,
    STORE,
    inputs=(
        FieldSpec("fee_item", "费项", "str", required=True, help="本项目的非合同类费项（费项管理中维护）"),
        *ask(Bill, "amount", "due_date", "remark", remark=Input(label="备注（如维修内容）")),
    ),
    choices=extra_fees.fee_choices,
    confirm="为选中的 {n} 份合同添加一笔非合同类费用：生成未确认账单，确认后推送给租客。",
    when={"state": extra_fees.OPEN_CONTRACT},
)


PRINT_CONTRACT = Action(
    "print_contract",
    "打印合同",
    printed(documents.contract_document),
    STORE,
    confirm="打印这份合同（PDF）。",
    when={"state": tuple(s for s in ContractState if s not in (ContractState.VOID, *UNSIGNED_CONTRACT_STATES))},
)
PRINT_SETTLEMENT = Action(
    "print_settlement",
    "退房结算单",
    printed(documents.settlement_statement),
    STORE | {R.FINANCE},
    confirm="打印这份合同的退房结算单（PDF）。",
    when={"state": (ContractState.CHECKED_OUT,)},
)
VOID = Action(
    "void",
    "作废",
    leasing.void_contracts,
    {R.PRINCIPAL},
    danger=True,
    input_label="作废原因",
    input_required=True,
    confirm="作废选中的 {n} 份待执行合同：其账单全部撤销，房间恢复空闲可租。已有收款的合同不能作废。",
    when={"state": (ContractState.SIGNED,)},
)
WITHDRAW_DRAFT = Action(
    "withdraw_draft",
    "撤回在线合同",
    tenant_lease.withdraw_drafts,
    STORE,
    danger=True,
    input_label="撤回原因",
    input_required=True,
    confirm="撤回选中的 {n} 份待租客确认的在线合同：合同作废，租客在 APP 中收到撤回通知，房间可重新起草、预定或签约。",
    when={"state": (ContractState.AWAITING_TENANT,)},
)
LOAN = Action(
    "loan",
    "按居贷支付",
    loans.pay_contracts,
    STORE | {R.FINANCE},
    confirm="以按居贷支付选中的 {n} 份合同的租金账单？仅限租期 1–5 年且一次性支付的合同，银行放款后账单即收款。",
    when={"state": loans.APPLICABLE, "cycle": (PayCycle.ONCE,)},  # the term's rule is the service's, by name
)


class ContractAdmin(ModelAdmin, model=Contract, key="contracts"):
    list_columns = [
        "number",
        "room_id",
        "tenant_id",
        "project_id",
        "start_date",
        "end_date",
        "monthly_rent",
        "state",
        "filing_state",
    ]
    search = ["number", "tenant.name", "tenant.phone", "room.number", "co_tenants"]
    filters = [
        "project_id",
        "state",
        "cycle",
        "source",
        "end_date",
        "signed_on",
        "checked_out_on",
        "tenant_id",
        "reservation_id",
        "room_id",
        "previous_id",
        "master_lease_id",
    ]
    primary_filters = ["project_id", "state", "end_date"]
    form = [
        "room_id",
        "tenant_id",
        "co_tenants",
        "start_date",
        "end_date",
        "monthly_rent",
        "deposit",
        "cycle",
        "bill_mode",
    ]
    noun = "合同"
    # The running leases lead, the next to end first (renewals and check-outs); the rest follow, latest first.
    default_sort = Sort("end_date", first={"state": (ContractState.ACTIVE,)}, then="-id")
    scope = Scope.project("project_id")
    can_create = STORE
    can_export = STORE | {R.FINANCE}
    links = [
        Link("账单", "bills", "contract_id"),
        Link("收款记录", "payments", "bill_id", via=("bills", "contract_id")),
        Link("抄表记录", "meter_readings", "contract_id"),
        Link("后续合同", "contracts", "previous_id", totals=()),
        Link("预收明细", "balances", "contract_id"),
        Link("贷款记录", "loans", "contract_id", totals=("amount",)),
    ]
    detail_groups = {
        "基本信息": ["number", "state", "tenant_id", "co_tenants", "project_id", "room_id", "source", "signed_on"],
        "租期与租金": ["start_date", "end_date", "monthly_rent", "deposit", "cycle", "bill_mode"],
        "入住与退房": [
            "checked_in_on",
            "power_in",
            "water_in",
            "checked_out_on",
            "power_out",
            "water_out",
            "settlement",
            "void_reason",
        ],
        "网签备案": ["filing_state", "filing_no", "filed_at", "filing_note"],
        "系统信息": ["reservation_id", "previous_id", "master_lease_id", "created_by_id", "created_at"],
    }
    actions = [
        CHECK_IN,
        READ_METERS,
        ADD_FEE,
        RENEW,
        CHANGE_ROOM,
        SUBLET,
        CHECK_OUT,
        PRINT_SETTLEMENT,
        PRINT_CONTRACT,
        LOAN,
        VOID,
        WITHDRAW_DRAFT,
        CHANGE_CARD,
    ]

    @classmethod
    def timeline(cls, session: Session, p: Principal | None, row: Contract) -> list[Event]:
        return timelines.contract_events(session, row)

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Contract | None) -> Errors:
        return leasing.contract_problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Contract | None) -> str:
        _room_project(session, values)
        values.update(number=leasing.placeholder_number(), created_by_id=p.actor_id)
        return "已生成全部账期账单，首期账单已确认"

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: Contract) -> None:
        leasing.sign(session, p, row)


class CheckInAdmin(ContractAdmin, model=Contract, key="check_ins"):
    only = {"state": (ContractState.SIGNED,)}
    default_sort = Sort("start_date")  # the next to move in first
    can_create = NOBODY
    actions = [CHECK_IN]


class CheckOutAdmin(ContractAdmin, model=Contract, key="check_outs"):
    only = {"state": (ContractState.ACTIVE,)}
    default_sort = Sort("end_date")  # the next to move out first
    can_create = NOBODY
    actions = [CHECK_OUT]


class OnlineReviewAdmin(ContractAdmin, model=Contract, key="online_review"):
    only = {"state": (ContractState.PENDING_REVIEW,)}
    default_sort = Sort("created_at")  # the longest waiting first
    can_create = NOBODY
    actions = approve_reject(leasing.review, STORE, when={"state": (ContractState.PENDING_REVIEW,)})


class MeterReadingAdmin(ModelAdmin, model=MeterReading, key="meter_readings"):
    list_columns = ["contract_id", "read_on", "power", "water", "bill_id", "read_by_id", "created_at"]
    filters = ["project_id", "read_on", "contract_id", "read_by_id"]
    default_sort = "-read_on"
    scope = Scope.project("project_id")
    can_export = OWNERS


class MasterLeaseAdmin(ModelAdmin, model=MasterLease, key="master_leases"):
    noun = "包租合同"
    many = {
        "rooms": Many(
            MasterLeaseRoom,
            "master_lease_id",
            "room_id",
            "包租房间",
            required=True,
            help="单房或多房；只能选择所选项目中空闲可租的房间",
        )
    }
    fields_override = {"contract_file": File(max_mb=10)}
    list_columns = [
        "number",
        "company_name",
        "project_id",
        "rooms",
        "start_date",
        "end_date",
        "cycle",
        "company_pays_rent",
        "company_pays_utilities",
    ]
    search = ["number", "company_name", "contact_name", "contact_phone"]
    filters = ["project_id", "cycle", "start_date"]
    form = [
        "project_id",
        "company_name",
        "contact_name",
        "contact_phone",
        "start_date",
        "end_date",
        "cycle",
        "bill_mode",
        "rooms",
        "company_pays_rent",
        "company_pays_deposit",
        "company_pays_fees",
        "company_pays_utilities",
        "contract_file",
    ]
    scope = Scope.project("project_id")
    can_create = can_export = OWNERS
    links = [Link("各房间合同", "contracts", "master_lease_id")]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: MasterLease | None) -> Errors:
        return master_leases.problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: MasterLease | None) -> str:
        values.update(number=leasing.placeholder_number(), created_by_id=p.actor_id)
        n = len(values.get("rooms") or [])
        return f"已为 {n} 个房间生成合同和账单，首期账单已确认"

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: MasterLease) -> None:
        master_leases.sign(session, p, row)

"""房源管理: projects, buildings, unit types, fee items, pricing standards, rooms, import batches."""

from sqlmodel import Session

from clss_app.admin import (
    Action,
    Count,
    Errors,
    Image,
    Images,
    Input,
    Labels,
    Link,
    ModelAdmin,
    Range,
    Scope,
    Values,
    Within,
    approve_reject,
    ask,
    batches,
)
from clss_app.admin.fields import FieldSpec
from clss_app.core.roles import OWNERS, STORE, SYS
from clss_app.core.rows import saved_id
from clss_app.core.timeline import Event
from clss_app.services import housing, tenant_lease, timelines
from clss_app.services.permissions import Principal
from models import (
    BatchState,
    Building,
    Contract,
    FeeItem,
    ImportBatch,
    PricingStandard,
    Project,
    PublishState,
    Role,
    Room,
    RoomStatus,
    UnitType,
)

R = Role
SYS_OWNERS = OWNERS | SYS
IN_PROJECT = Within("project_id")  # chosen among the row's project's own rows


class ProjectAdmin(ModelAdmin, model=Project, key="projects"):
    fields_override = {
        "cover": Image(max_mb=5),
        "late_fee_grace_days": Range(0, 90),
        "late_fee_rate": Range(0, 5),
    }
    list_columns = ["cover", "name", "company_id", "city", "district", "kind", "publish_state", "visible"]
    search = ["name", "address", "district"]
    filters = ["kind", "publish_state", "company_id", "visible"]
    form = [
        "name",
        "company_id",
        "city",
        "district",
        "address",
        "kind",
        "on_blockchain",
        "visible",
        "cover",
        "late_fee_grace_days",
        "late_fee_rate",
    ]
    default_sort = "id"
    scope, scope_on_create = Scope.project("id"), Scope.unit("company_id")
    can_create = can_update = can_export = SYS_OWNERS
    can_import = frozenset({R.SYSTEM_ADMIN, R.PRINCIPAL})
    links = [
        Link("楼栋", "buildings", "project_id"),
        Link("户型", "unit_types", "project_id"),
        Link("费项", "fee_items", "project_id"),
        Link("房间", "rooms", "project_id"),
    ]
    actions = [
        Action(
            "submit",
            "提交审核",
            housing.submit,
            OWNERS,
            confirm="确定提交选中的 {n} 个项目吗？非白名单企业的项目需系统管理员审核后才能发布。",
            when={"publish_state": (PublishState.DRAFT, PublishState.REJECTED)},
            primary=True,
        ),
        *approve_reject(housing.review, {R.SYSTEM_ADMIN}, when={"publish_state": (PublishState.PENDING,)}),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Project | None) -> Errors:
        return housing.project_problems(values)

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: Project) -> None:
        housing.assign_creator(session, p, row)


class BuildingAdmin(ModelAdmin, model=Building, key="buildings"):
    list_columns = ["name", "project_id"]
    search = ["name"]
    filters = ["project_id"]
    form = ["project_id", "name"]
    scope = Scope.project("project_id")
    can_create = can_update = can_delete = OWNERS
    links = [Link("房间", "rooms", "building_id")]


class UnitTypeAdmin(ModelAdmin, model=UnitType, key="unit_types"):
    fields_override = {
        "photos": Images(max_count=9),
        "bedrooms": Range(0, 10),
        "halls": Range(0, 10),
        "baths": Range(0, 10),
    }
    list_columns = ["name", "project_id", "rent_mode", "bedrooms", "halls", "baths", "area", "reference_rent", "photos"]
    search = ["name"]
    filters = ["project_id", "rent_mode"]
    form = [
        "project_id",
        "name",
        "rent_mode",
        "bedrooms",
        "halls",
        "baths",
        "area",
        "orientation",
        "reference_rent",
        "photos",
    ]
    scope = Scope.project("project_id")
    can_create = can_update = can_delete = OWNERS

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: UnitType | None) -> Errors:
        return housing.unit_type_problems(session, values) or housing.room_problems(
            session, {"area": values.get("area"), "rent": values.get("reference_rent")}
        )


class FeeItemAdmin(ModelAdmin, model=FeeItem, key="fee_items"):
    list_columns = ["name", "project_id", "kind", "default_amount", "description"]
    search = ["name", "description"]
    filters = ["project_id", "kind"]
    form = ["project_id", "name", "kind", "default_amount", "description"]
    fields_override = {
        "default_amount": (
            Range(0, 100_000),
            Input(help="计价单位为“手工录入”的费项：签约和合同导入按此金额出账（周期性为每月金额）"),
        )
    }
    scope = Scope.project("project_id")
    picker_hint = "project_id"
    can_create = can_update = can_delete = OWNERS
    links = [Link("计费标准", "pricing_standards", "fee_item_id")]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: FeeItem | None) -> Errors:
        return housing.fee_item_problems(values)


class PricingStandardAdmin(ModelAdmin, model=PricingStandard, key="pricing_standards"):
    fields_override = {
        "unit_price": (Range(0, 100_000), Input(help="计价单位为“手工录入”时不使用单价，按费项的默认金额出账")),
        "late_fee_rate": Range(0, 5),
    }
    list_columns = ["fee_item_id", "name", "unit_price", "unit", "late_fee_rate", "project_id"]
    search = ["name"]
    filters = ["fee_item_id", "project_id", "unit"]
    form = ["fee_item_id", "name", "unit_price", "unit", "late_fee_rate"]
    scope = Scope.project("project_id")
    can_create = can_update = can_delete = OWNERS

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: PricingStandard | None) -> str:
        fee_item = session.get(FeeItem, values["fee_item_id"]) if "fee_item_id" in values else None
        if fee_item is not None:  # the scope column follows the fee item's project
            values["project_id"] = fee_item.project_id
        return ""


ROOM_IMPORT = [
    "project_id",
    "building_id",
    "floor_no",
    "number",
    "unit_type_id",
    "area",
    "rent",
    "deposit",
    "orientation",
    "longitude",
    "latitude",
    "external_code",
]


DRAFT_ONLINE = Action(
    "draft_online",
    "起草在线合同",
    tenant_lease.draft_rooms,
    STORE,
    inputs=(
        FieldSpec(
            "tenant_phone", "租客手机号", "str", required=True, max_length=11, help="本公司已登记的租客（租客管理）"
        ),
        *ask(Contract, "start_date", start_date=Input(help="不能早于今天")),
        FieldSpec(
            "months",
            "租期(月)",
            "int",
            min_value=1,
            max_value=tenant_lease.MAX_DRAFT_MONTHS,
            help="不填为 12 个月",
        ),
        *ask(Contract, "monthly_rent", monthly_rent=Input(required=False, help="不填按房间月租金；押金按房间押金")),
    ),
    confirm="为租客起草在线签约合同（待租客确认）：租客在 APP 中确认后进入在线签约审核，审核通过即签约。",
    when={"status": (RoomStatus.VACANT,)},
)


class RoomAdmin(ModelAdmin, model=Room, key="rooms"):
    fields_override = {"building_id": IN_PROJECT, "unit_type_id": IN_PROJECT, "cover": Image(), "photos": Images()}
    list_columns = [
        "cover",
        "number",
        "project_id",
        "building_id",
        "floor_no",
        "unit_type_id",
        "area",
        "rent",
        "status",
        "visible",
    ]
    search = ["number", "external_code"]
    filters = ["project_id", "building_id", "status", "unit_type_id", "visible", "rent", "import_batch_id"]
    form = ROOM_IMPORT + ["cover", "photos", "visible"]
    # The export starts with the import template's columns: an export re-imports as it is.
    detail = ROOM_IMPORT + ["status", "visible", "import_batch_id"]
    default_sort = "id"
    count = Count.CAPPED
    scope = Scope.project("project_id")
    can_create = can_update = can_export = STORE
    can_import = OWNERS
    import_scene = "房间导入"
    picker_hint = "project_id"  # same room numbers in two projects tell apart in pickers
    links = [
        Link("合同", "contracts", "room_id", totals=()),
        Link("预定", "reservations", "room_id"),
        Link("账单", "bills", "room_id"),
    ]
    actions = [DRAFT_ONLINE]
    detail_groups = {
        "基本信息": [
            "number",
            "status",
            "project_id",
            "building_id",
            "floor_no",
            "unit_type_id",
            "area",
            "orientation",
        ],
        "租金与押金": ["rent", "deposit"],
        "上架与定位": ["visible", "longitude", "latitude", "external_code"],
        "系统信息": ["import_batch_id"],
    }

    @classmethod
    def timeline(cls, session: Session, p: Principal | None, row: Room) -> list[Event]:
        return timelines.room_events(session, saved_id(row))

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Room | None) -> Errors:
        return housing.room_problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Room | None) -> str:
        building = values.get("building_id", row.building_id if row else None)
        floor_no = values.get("floor_no", row.floor_no if row else None)
        if building is not None and floor_no is not None:
            values["floor_id"] = housing.ensure_floor(session, building, floor_no)
        return ""

    @classmethod
    def cancel_problem(cls, row: Room) -> str:
        return housing.room_cancel_problem(row)


# Each importing list (its admin key) and its 导入场景: the scene filter offers them by name.
# tests/unit/test_import_scenes.py keeps it equal to the admins' import_scene.
IMPORT_SCENES = {"rooms": "房间导入", "user_imports": "用户导入", "contract_imports": "合同导入"}


class ImportBatchAdmin(ModelAdmin, model=ImportBatch, key="import_batches"):
    # The file, not the title: the title repeats 导入场景 and 导入时间 and its file name was cut off.
    list_columns = ["filename", "scene", "user_id", "total", "state", "created_at", "cancelled_by_id"]
    search = ["title", "scene", "filename", "username"]
    # By ``resource`` (indexed, one code per scene): a free-text ``scene`` filter showed no control at all.
    filters = ["created_at", "resource", "state", "user_id"]
    primary_filters = ["created_at", "resource", "state"]
    fields_override = {"resource": (Labels(IMPORT_SCENES), Input(label="导入场景"))}
    detail = [
        "title",
        "scene",
        "filename",
        "user_id",
        "org_unit_id",
        "total",
        "state",
        "created_at",
        "cancelled_at",
        "cancelled_by_id",
    ]
    scope = Scope.unit("org_unit_id")
    can_export = SYS_OWNERS
    links = [Link("导入的{noun}", "", "import_batch_id", admin_in="resource")]  # whichever scene made it
    actions = [
        Action(
            "cancel",
            "撤销导入",
            batches.cancel,
            SYS | STORE,  # and, per batch, the right to import its scene (batches.cancel): 店助 imports too
            danger=True,
            confirm="确定撤销选中的 {n} 个导入批次吗？将删除这些批次导入的全部数据（只能撤销当天的批次）。",
            when={"state": (BatchState.IMPORTED,)},
        )
    ]

"""房源管理: projects, buildings, unit types, fee items, pricing standards, rooms, import batches."""

from clss_app.admin import Action, ModelAdmin, batches
from clss_app.core.roles import OWNERS, STORE
from clss_app.services import housing
from models import Building, FeeItem, ImportBatch, PricingStandard, Project, Role, Room, UnitType

R = Role
IN_PROJECT = {"extra": {"within": "project_id"}}  # chosen among the row's project's own rows


class ProjectAdmin(ModelAdmin, model=Project, key="projects"):
    fields_override = {
        "cover": {"kind": "image", "extra": {"max_mb": 5}},
        "late_fee_grace_days": {"min_value": 0, "max_value": 90},
        "late_fee_rate": {"min_value": 0, "max_value": 5},
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
    scope, scope_on_create = ("id", "project"), ("company_id", "unit")
    can_create = can_update = {R.SYSTEM_ADMIN} | OWNERS
    can_export = {R.SYSTEM_ADMIN} | OWNERS
    can_import = {R.SYSTEM_ADMIN, R.PRINCIPAL}
    links = [
        ("楼栋", "buildings", "project_id"),
        ("户型", "unit_types", "project_id"),
        ("费项", "fee_items", "project_id"),
        ("房间", "rooms", "project_id"),
    ]
    actions = [
        Action(
            "submit",
            "提交审核",
            housing.submit,
            frozenset(OWNERS),
            confirm="确定提交选中的 {n} 个项目吗？非白名单企业的项目需系统管理员审核后才能发布。",
        ),
        Action("approve", "审核通过", housing.review(True), frozenset({R.SYSTEM_ADMIN}), input_label="审核意见"),
        Action(
            "reject",
            "驳回",
            housing.review(False),
            frozenset({R.SYSTEM_ADMIN}),
            danger=True,
            input_label="驳回原因",
            input_required=True,
        ),
    ]

    @classmethod
    def validate(cls, session, p, values, row):
        return housing.project_problems(values)

    @classmethod
    def after_create(cls, session, p, row):
        housing.assign_creator(session, p, row)


class BuildingAdmin(ModelAdmin, model=Building, key="buildings"):
    list_columns = ["name", "project_id"]
    search = ["name"]
    filters = ["project_id"]
    form = ["project_id", "name"]
    scope = ("project_id", "project")
    can_create = can_update = can_delete = OWNERS
    links = [("房间", "rooms", "building_id")]


class UnitTypeAdmin(ModelAdmin, model=UnitType, key="unit_types"):
    fields_override = {
        "photos": {"kind": "images", "extra": {"max_count": 9}},
        "bedrooms": {"min_value": 0, "max_value": 10},
        "halls": {"min_value": 0, "max_value": 10},
        "baths": {"min_value": 0, "max_value": 10},
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
    scope = ("project_id", "project")
    can_create = can_update = can_delete = OWNERS

    @classmethod
    def validate(cls, session, p, values, row):
        return housing.unit_type_problems(session, values) or housing.room_problems(
            session, {"area": values.get("area"), "rent": values.get("reference_rent")}
        )


class FeeItemAdmin(ModelAdmin, model=FeeItem, key="fee_items"):
    list_columns = ["name", "project_id", "kind", "description"]
    search = ["name", "description"]
    filters = ["project_id", "kind"]
    form = ["project_id", "name", "kind", "description"]
    scope = ("project_id", "project")
    picker_hint = "project_id"
    can_create = can_update = can_delete = OWNERS
    links = [("计费标准", "pricing_standards", "fee_item_id")]

    @classmethod
    def validate(cls, session, p, values, row):
        return housing.fee_item_problems(values)


class PricingStandardAdmin(ModelAdmin, model=PricingStandard, key="pricing_standards"):
    fields_override = {
        "unit_price": {"min_value": 0, "max_value": 100_000},
        "late_fee_rate": {"min_value": 0, "max_value": 5},
    }
    list_columns = ["fee_item_id", "name", "unit_price", "unit", "late_fee_rate", "project_id"]
    search = ["name"]
    filters = ["fee_item_id", "project_id", "unit"]
    form = ["fee_item_id", "name", "unit_price", "unit", "late_fee_rate"]
    scope = ("project_id", "project")
    can_create = can_update = can_delete = OWNERS

    @classmethod
    def before_save(cls, session, p, values, row):
        if "fee_item_id" in values:  # the scope column follows the fee item's project
            values["project_id"] = session.get(FeeItem, values["fee_item_id"]).project_id
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


class RoomAdmin(ModelAdmin, model=Room, key="rooms"):
    fields_override = {
        "building_id": IN_PROJECT,
        "unit_type_id": IN_PROJECT,
        "cover": {"kind": "image"},
        "photos": {"kind": "images", "extra": {"max_count": 9}},
    }
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
    filters = ["project_id", "status", "unit_type_id", "visible", "rent", "import_batch_id"]
    form = ROOM_IMPORT + ["cover", "photos", "visible"]
    # The export starts with the import template's columns: an export re-imports as it is.
    detail = ROOM_IMPORT + ["status", "visible", "import_batch_id"]
    default_sort = "id"
    count = "capped"
    scope = ("project_id", "project")
    can_create = can_update = STORE
    can_export = STORE
    can_import = OWNERS
    import_scene = "房间导入"
    picker_hint = "project_id"  # same room numbers in two projects tell apart in pickers

    @classmethod
    def validate(cls, session, p, values, row):
        return housing.room_problems(session, values)

    @classmethod
    def before_save(cls, session, p, values, row):
        building = values.get("building_id", row.building_id if row else None)
        floor_no = values.get("floor_no", row.floor_no if row else None)
        if building is not None and floor_no is not None:
            values["floor_id"] = housing.ensure_floor(session, building, floor_no)
        return ""

    @classmethod
    def cancel_problem(cls, row):
        return housing.room_cancel_problem(row)


class ImportBatchAdmin(ModelAdmin, model=ImportBatch, key="import_batches"):
    list_columns = ["title", "scene", "username", "total", "state", "created_at", "cancelled_by"]
    search = ["title", "scene", "filename", "username"]
    filters = ["created_at", "state"]
    detail = [
        "title",
        "scene",
        "filename",
        "username",
        "org_unit_id",
        "total",
        "state",
        "created_at",
        "cancelled_at",
        "cancelled_by",
    ]
    scope = ("org_unit_id", "unit")
    can_export = {R.SYSTEM_ADMIN} | OWNERS
    links = [("查看导入的房间", "rooms", "import_batch_id")]
    actions = [
        Action(
            "cancel",
            "撤销导入",
            batches.cancel,
            frozenset({R.SYSTEM_ADMIN} | OWNERS),
            danger=True,
            confirm="确定撤销选中的 {n} 个导入批次吗？将删除这些批次导入的全部数据（只能撤销当天的批次）。",
        )
    ]

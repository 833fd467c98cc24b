"""房源管理 declarations (projects now; rooms and the rest come with the housing issue)."""
from clss_app.admin import ModelAdmin
from models import Project, Role

R = Role


class ProjectAdmin(ModelAdmin, model=Project, key="projects"):
    fields_override = {"cover": {"kind": "image", "extra": {"max_mb": 5}}}
    list_columns = ["cover", "name", "company_id", "city", "district", "kind", "publish_state", "visible"]
    search = ["name", "address", "district"]
    filters = ["kind", "publish_state", "company_id", "visible"]
    form = ["name", "company_id", "city", "district", "address", "kind", "visible", "cover"]
    default_sort = "id"
    scope, scope_on_create = ("id", "project"), ("company_id", "unit")
    can_create = can_update = {R.SYSTEM_ADMIN, R.PRINCIPAL, R.MULTI_STORE_MANAGER}
    can_export = {R.SYSTEM_ADMIN, R.PRINCIPAL, R.MULTI_STORE_MANAGER, R.STORE_MANAGER}
    can_import = {R.SYSTEM_ADMIN, R.PRINCIPAL}

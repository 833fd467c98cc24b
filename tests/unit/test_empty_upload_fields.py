"""An image, images or file field left empty saves as its column's empty value, not NULL."""

from sqlmodel import select

from clss_app.admin import crud
from models import OrgUnit, UnitType
from pages.housing import UnitTypeAdmin
from pages.system import OrgUnitAdmin


def _form(admin, row) -> dict:
    """What the edit form sends back unchanged: every form field as its input's string."""
    return {n: admin.fields[n].form_value(getattr(row, n)) for n in admin.form}


def test_a_unit_type_without_photos_saves(session, principal_of):
    p = principal_of("principal")
    row = session.exec(select(UnitType).where(UnitType.photos == "", UnitType.project_id.in_(p.project_ids))).first()
    raw = {**_form(UnitTypeAdmin, row), "name": row.name + "（改）"}
    assert raw["photos"] == ""
    crud.update(session, UnitTypeAdmin, p, row.id, raw, row.version)
    session.refresh(row)
    assert (row.name.endswith("（改）"), row.photos) == (True, "")


def test_an_org_unit_without_a_licence_saves(session, principal_of):
    row = session.exec(select(OrgUnit).where(OrgUnit.name == "京安居住房租赁有限公司")).one()
    assert row.license_file == ""
    raw = {**_form(OrgUnitAdmin, row), "city": "北京市"}
    crud.update(session, OrgUnitAdmin, principal_of("super"), row.id, raw, row.version)
    session.refresh(row)
    assert (row.city, row.license_file) == ("北京市", "")


def test_the_empty_value_follows_the_kind():
    from clss_app.admin.fields import FieldSpec

    assert [FieldSpec("f", "字段", k).parse("  ") for k in ("image", "images", "file", "str", "int")] == [
        "",
        "",
        "",
        "",
        None,
    ]

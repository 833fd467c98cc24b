"""The parameter catalogue (services/params.py): names, types, ranges, the messages at the field, the typed getter."""

from decimal import Decimal

import pytest
from sqlmodel import select

from clss_app.admin import crud, io, query
from clss_app.services import leasing, params
from models import CityParam, EnterpriseParam, OrgUnit
from pages.system import CityParamAdmin, EnterpriseParamAdmin


def test_every_key_has_a_chinese_name_a_type_a_valid_default_and_help():
    for level, catalogue in params.CATALOGUE.items():
        assert catalogue, level
        for key, p in catalogue.items():
            assert p.key == key and p.name and not p.name.isascii() and p.help
            assert p.kind in ("int", "decimal", "bool", "choice", "text")
            if p.kind in ("int", "decimal"):
                assert p.low is not None and p.high is not None and p.low <= p.high and p.unit
            if p.default:
                params.parse(p, p.default)  # the default itself passes its own rules


@pytest.mark.parametrize(
    ("level", "key", "value", "message"),
    [
        ("city", "late_fee_grace_days", "31", "滞纳金宽限天数须为 0–30 之间的整数（单位：天）"),
        ("city", "late_fee_grace_days", "-1", "滞纳金宽限天数须为 0–30 之间的整数（单位：天）"),
        ("city", "late_fee_grace_days", "2.5", "滞纳金宽限天数须为 0–30 之间的整数（单位：天）"),
        ("city", "late_fee_grace_days", "三天", "滞纳金宽限天数须为 0–30 之间的整数（单位：天）"),
        ("city", "rent_guide_price", "1000.01", "租金指导价须为 0–1000 之间的数（单位：元/㎡·月）"),
        ("city", "rent_guide_price", "NaN", "租金指导价须为 0–1000 之间的数（单位：元/㎡·月）"),
        ("enterprise", "billing_mode", "按季", "默认账单模式须为 对日 / 月初 之一"),
        ("enterprise", "withhold_enabled", "也许", "代扣开启须为 是 或 否"),
        ("enterprise", "entrust_project_no", "12345678", "委托项目编号须为9 位数字"),
        ("enterprise", "contract_prefix", "ht", "合同编号前缀须为1–6 个大写字母"),
    ],
)
def test_a_value_out_of_type_or_range_is_refused_at_the_value(level, key, value, message):
    assert params.problems(level, key, value) == {"value": message}


def test_valid_values_pass_and_are_stored_in_one_spelling():
    grace = params.param("city", "late_fee_grace_days")
    assert grace is not None
    assert params.problems("city", "late_fee_grace_days", "30") == {}
    assert [params.canonical(grace, v) for v in ("0", "05", "7 天", " 30 ")] == ["0", "5", "7", "30"]
    price = params.param("city", "rent_guide_price")
    assert price is not None and params.canonical(price, "85.50") == "85.5"
    on = params.param("enterprise", "withhold_enabled")
    assert on is not None and [params.canonical(on, v) for v in ("是", "true", "否", "0")] == ["是", "是", "否", "否"]
    assert params.shown("city", "late_fee_grace_days", "3") == "3 天"
    assert params.shown("enterprise", "billing_mode", "对日") == "对日"
    assert params.shown("city", "unknown", "7") == "7"


def test_an_unknown_key_cannot_be_stored():
    errors = params.problems("city", "withhold_days", "5")  # an enterprise key is no city key
    assert list(errors) == ["key"] and "未知参数“withhold_days”" in errors["key"] and "滞纳金宽限天数" in errors["key"]


def test_the_forms_check_by_the_catalogue_and_the_list_reads_names_and_units(session, principal_of):
    p = principal_of("super")
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, CityParamAdmin, p, {"city": "杭州", "key": "late_fee_grace_days", "value": "45"})
    assert e.value.errors == {"value": "滞纳金宽限天数须为 0–30 之间的整数（单位：天）"}
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(session, CityParamAdmin, p, {"city": "杭州", "key": "grace", "value": "2"})
    assert "未知参数" in e.value.errors["key"]
    row, _ = crud.create(session, CityParamAdmin, p, {"city": "杭州", "key": "late_fee_grace_days", "value": "07"})
    assert row.value == "7"
    shown = query.display(session, CityParamAdmin, p, [row], ["key", "value"])[0]
    assert shown == {"key": "滞纳金宽限天数", "key__hint": "late_fee_grace_days", "value": "7 天"}
    assert CityParamAdmin.row_label(row) == "滞纳金宽限天数"
    # an edit of the value alone is checked against the row's key
    with pytest.raises(crud.ValidationFailed) as e:
        crud.update(
            session, CityParamAdmin, p, row.id, {"city": "杭州", "key": "late_fee_grace_days", "value": "99"}, 1
        )
    assert e.value.errors == {"value": "滞纳金宽限天数须为 0–30 之间的整数（单位：天）"}

    sysadmin = principal_of("sysadmin")
    company = "燕园公寓管理有限公司"  # 京安居 has 代扣开启 set (the demo withholds there)
    with pytest.raises(crud.ValidationFailed) as e:
        crud.create(
            session, EnterpriseParamAdmin, sysadmin, {"company_id": company, "key": "withhold_enabled", "value": "x"}
        )
    assert e.value.errors == {"value": "代扣开启须为 是 或 否"}
    row, _ = crud.create(
        session, EnterpriseParamAdmin, sysadmin, {"company_id": company, "key": "withhold_enabled", "value": "true"}
    )
    assert row.value == "是"


def test_imports_are_checked_by_the_catalogue_too(session, principal_of):
    import polars as pl

    p = principal_of("super")
    sheet = pl.DataFrame(
        {"城市": ["杭州", "杭州"], "参数名": ["late_fee_grace_days", "meter_reading_day"], "参数值": ["3", "31"]}
    )
    preview = io.dry_run(session, CityParamAdmin, p, sheet.with_columns(pl.lit("").alias("说明")))
    assert not preview.ok
    assert [(e["row"], e["column"]) for e in preview.errors] == [("3", "参数值")]


def test_the_typed_getter_reads_the_stored_value_or_the_default(session):
    assert params.city_value(session, "北京", "late_fee_grace_days") == 3
    assert params.city_value(session, "北京", "rent_guide_price") == Decimal("85")
    assert params.city_value(session, "拉萨", "late_fee_grace_days") == 3  # not set: the catalogue's default
    company = session.exec(select(OrgUnit).where(OrgUnit.name == "燕园公寓管理有限公司")).one()
    assert params.enterprise_value(session, company.id, "billing_mode") == "对日"
    assert params.enterprise_value(session, company.id, "withhold_enabled") is False
    stored = session.exec(
        select(EnterpriseParam).where(EnterpriseParam.company_id == company.id, EnterpriseParam.key == "withhold_days")
    ).one()
    stored.value = "not a number"  # a row older than the checks: the default, never a crash
    session.add(stored)
    session.flush()
    assert params.enterprise_value(session, company.id, "withhold_days") == 5
    with pytest.raises(KeyError):
        params.city_value(session, "北京", "no_such_key")
    assert session.exec(select(CityParam).where(CityParam.key == "meter_reading_day")).first() is None


def test_contract_numbers_take_the_companys_prefix(session):
    from models import Contract, Project

    c = session.exec(select(Contract).where(Contract.id.is_not(None))).first()  # type: ignore[union-attr]
    company_id = session.get(Project, c.project_id).company_id
    assert leasing.contract_number(session, c).startswith("HT")
    row = session.exec(
        select(EnterpriseParam).where(
            EnterpriseParam.company_id == company_id, EnterpriseParam.key == "contract_prefix"
        )
    ).first() or EnterpriseParam(company_id=company_id, key="contract_prefix", value="")
    row.value = "JAJ"
    session.add(row)
    session.flush()
    assert leasing.contract_number(session, c) == f"JAJ{c.signed_on:%Y%m%d}{c.id:06d}"

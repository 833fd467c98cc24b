"""Personal numbers: the masks, the 身份证号 rule, and the engine applying them by role (list, detail,
export, audit log) with 查看完整信息 audited."""

import datetime as dt

import pytest

from clss_app.core.privacy import check_digit, id_number_problem, mask, normalise_id_number

TODAY = dt.date(2026, 12, 1)
VALID = "11010519491231002X"  # the standard's own example


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


def test_phones_and_id_numbers_keep_their_ends_only():
    assert mask("phone", "13812341234") == "138****1234"
    assert mask("id_number", "110101199003071234") == "1101**********1234"
    assert mask("phone", "") == ""
    assert mask("phone", "12345") == "*****"  # too short to keep both ends: nothing of it shows


def test_a_valid_number_passes():
    assert id_number_problem(VALID, TODAY) == ""
    assert id_number_problem(_with_check("44030420000229123"), TODAY) == ""  # 29 February of a leap year


def test_a_wrong_check_digit_is_named():
    wrong = VALID[:17] + ("1" if VALID[17] != "1" else "2")
    assert id_number_problem(wrong, TODAY) == "身份证号校验位不正确"


@pytest.mark.parametrize(
    "first17",
    ["11010519490230002", "11010519491301002", "44030420010229123"],  # 30 Feb, month 13, 29 Feb 2001
)
def test_a_birth_date_that_does_not_exist_is_refused(first17):
    assert id_number_problem(_with_check(first17), TODAY) == "身份证号中的出生日期不存在"


def test_a_birth_date_in_the_future_is_refused():
    assert id_number_problem(_with_check("11010520261202002"), TODAY) == "身份证号中的出生日期不合理"
    assert id_number_problem(_with_check("11010520261201002"), TODAY) == ""  # born today: fine


def test_a_15_digit_number_is_refused_with_the_reason():
    assert id_number_problem("110105491231002", TODAY) == "身份证号须为 18 位（15 位旧号码请换算为 18 位）"
    assert id_number_problem("1101051949", TODAY) == "身份证号须为 18 位（当前 10 位）"
    assert id_number_problem("1101051949123100A2", TODAY) == "身份证号前 17 位须为数字，末位为数字或 X"


def test_a_lower_case_x_is_accepted_and_stored_upper_case():
    assert id_number_problem(VALID.lower(), TODAY) == ""
    assert normalise_id_number(" " + VALID.lower()) == VALID


# ---------------------------------------------------------------- the engine, by role


def _tenant(session, principal_of, phone="13912345678", id_number=VALID):
    from clss_app.admin import crud
    from clss_app.site import app_site

    store = principal_of("manager")
    raw = {"name": "隐私测试", "phone": phone, "id_number": id_number, "company_id": str(store.unit_id)}
    row, _ = crud.create(session, app_site().admin("tenants"), store, raw)
    session.flush()
    return row


def test_lists_and_details_mask_for_roles_that_do_not_need_the_numbers(session, principal_of):
    from clss_app.admin.query import display
    from clss_app.site import app_site

    row = _tenant(session, principal_of)
    tenants = app_site().admin("tenants")
    names = ["name", "phone", "id_number"]
    for who in ("manager", "assistant"):  # the counter: in full
        assert display(session, tenants, principal_of(who), [row], names)[0]["phone"] == "13912345678"
    for who in ("principal", "multistore"):
        shown = display(session, tenants, principal_of(who), [row], names)[0]
        assert shown == {"name": "隐私测试", "phone": "139****5678", "id_number": "1101**********002X"}
    assert display(session, tenants, None, [row], names)[0]["phone"] == "139****5678"  # nobody: masked


def test_exports_mask_for_roles_without_the_right(session, principal_of):
    import io as _io

    import polars as pl

    from clss_app.admin import io
    from clss_app.admin.query import ListQuery
    from clss_app.site import app_site

    _tenant(session, principal_of)
    tenants = app_site().admin("tenants")
    q = ListQuery(q="隐私测试")
    for who, phone, id_number in (
        ("principal", "139****5678", "1101**********002X"),
        ("manager", "13912345678", VALID),
    ):
        frame = io.export_frame(session, tenants, principal_of(who), q)
        back = pl.read_excel(_io.BytesIO(io.write_frame(frame, "xlsx")))
        assert back["手机号"].to_list() == [phone] and back["身份证号"].to_list() == [id_number]
        back = pl.read_csv(_io.BytesIO(io.write_frame(frame, "csv")), infer_schema=False)
        assert back["手机号"].to_list() == [phone]


def test_a_row_s_history_and_the_audit_log_mask_too(session, principal_of):
    import json

    from sqlmodel import select

    from clss_app.admin import audit, crud, io
    from clss_app.admin.query import ListQuery, display
    from clss_app.site import app_site
    from models import AuditLog

    row = _tenant(session, principal_of)
    tenants = app_site().admin("tenants")
    raw = {"name": row.name, "phone": "13700001111", "id_number": row.id_number, "company_id": str(row.company_id)}
    crud.update(session, tenants, principal_of("manager"), row.id, raw, row.version)
    session.flush()
    entry = session.exec(select(AuditLog).where(AuditLog.resource == "tenants", AuditLog.action == "update")).all()[-1]
    assert audit.describe(session, tenants, entry, principal_of("principal")) == "手机号：139****5678 → 137****1111"
    assert audit.describe(session, tenants, entry, principal_of("manager")) == "手机号：13912345678 → 13700001111"
    log = app_site().admin("audit_log")
    shown = display(session, log, principal_of("super"), [entry], ["before", "after"])[0]
    assert json.loads(shown["after"]) == {"phone": "137****1111"}
    assert "13912345678" not in shown["before"]
    frame = io.export_frame(session, log, principal_of("super"), ListQuery(q="修改 隐私测试"))
    assert frame["修改前"].to_list() == ['{"phone": "139****5678"}']


def test_the_id_number_rule_refuses_next_to_the_field(session, principal_of):
    from clss_app.admin import crud
    from clss_app.core.errors import ValidationFailed
    from clss_app.site import app_site

    tenants, store = app_site().admin("tenants"), principal_of("manager")
    raw = {"name": "校验", "phone": "13912340000", "id_number": VALID[:17] + "1", "company_id": str(store.unit_id)}
    with pytest.raises(ValidationFailed) as failed:
        crud.create(session, tenants, store, raw)
    assert failed.value.errors == {"id_number": "身份证号校验位不正确"}
    row, _ = crud.create(session, tenants, store, {**raw, "id_number": VALID.lower()})
    assert row.id_number == VALID  # stored upper-case


# ---------------------------------------------------------------- 查看完整信息, as a forged client could call it


def _reveal(username, key, row_id, name):
    from clss_app.admin.state import AdminState
    from tests.unit.test_handlers import _state, _token

    st = _state(AdminState, _token(username))
    st.admin_key, st._detail_id = key, row_id  # as if the detail of that row were open
    st.detail_items = [{"label": "手机号", "value": "139****5678", "file": "", "reveal": name}]
    return st, st.reveal_field(name)


def _reveals(row_id):
    from sqlmodel import select

    from clss_app import db
    from models import AuditLog

    with db.session_scope() as s:
        q = select(AuditLog).where(AuditLog.action == "reveal", AuditLog.row_id == row_id)
        return [(e.username, e.resource, e.summary) for e in s.exec(q).all()]


def test_a_reveal_shows_the_number_and_is_audited(session, principal_of):
    row = _tenant(session, principal_of)
    session.commit()
    st, spec = _reveal("principal", "tenants", row.id, "phone")
    assert spec is None and st.detail_items[0]["value"] == "13912345678" and st.detail_items[0]["reveal"] == ""
    assert _reveals(row.id) == [("principal", "tenants", "查看完整手机号：隐私测试")]
    assert st.detail_history[0]["summary"] == "查看完整手机号：隐私测试"


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("principal3", "记录不存在或无权访问"),  # another company's tenant: as if it did not exist
        ("finance", "无权"),  # may not open 租客管理 at all
        ("manager", "无权查看完整"),  # sees it in full already: nothing to reveal, nothing audited
    ],
)
def test_a_forged_reveal_is_refused_and_not_audited(session, principal_of, username, why):
    from tests.unit.test_handlers import _is_error_toast

    row = _tenant(session, principal_of)
    session.commit()
    st, spec = _reveal(username, "tenants", row.id, "phone")
    assert _is_error_toast(spec, why), repr(spec)
    assert st.detail_items[0]["value"] == "139****5678" and _reveals(row.id) == []


def test_a_role_without_the_right_to_reveal_is_refused(session, principal_of):
    from sqlmodel import select

    from models import EventSignup, Project
    from tests.unit.test_handlers import _is_error_toast

    # 系统管理员 sees 报名管理 (its branch's projects) masked, and may not reveal a phone there.
    sysadmin = principal_of("sysadmin")
    signup = session.exec(
        select(EventSignup)
        .join(Project, Project.id == EventSignup.project_id)
        .where(Project.company_id.in_(sysadmin.unit_ids))
    ).first()
    assert signup is not None
    _, spec = _reveal("sysadmin", "event_signups", signup.id, "phone")
    assert _is_error_toast(spec, "无权查看完整的手机号"), repr(spec)
    assert _reveals(signup.id) == []


def test_a_field_that_is_not_masked_cannot_be_revealed(session, principal_of):
    from tests.unit.test_handlers import _is_error_toast

    row = _tenant(session, principal_of)
    session.commit()
    _, spec = _reveal("principal", "tenants", row.id, "name")
    assert spec is not None and "toast" in repr(spec) and _reveals(row.id) == []
    assert not _is_error_toast(spec, "隐私测试")


def test_an_import_names_each_bad_id_number_and_stores_a_good_one(session, principal_of):
    import polars as pl
    from sqlmodel import select

    from clss_app.admin import io
    from clss_app.site import app_site
    from models import OrgUnit, Tenant

    tenants, store = app_site().admin("tenants"), principal_of("manager")
    company = session.get(OrgUnit, store.unit_id).name
    sheet = pl.DataFrame(
        {
            "姓名": ["甲", "乙", "丙"],
            "手机号": ["13900000001", "13900000002", "13900000003"],
            "身份证号": [VALID[:17] + "1", "110105491231002", VALID.lower()],
            "所属企业": [company] * 3,
        }
    )
    preview = io.dry_run(session, tenants, store, sheet)
    assert [(e["row"], e["column"], e["message"]) for e in preview.errors] == [
        ("2", "身份证号", "身份证号校验位不正确"),
        ("3", "身份证号", "身份证号须为 18 位（15 位旧号码请换算为 18 位）"),
    ]
    preview = io.dry_run(session, tenants, store, sheet.tail(1))
    assert preview.ok and io.commit(session, tenants, store, preview, "tenants.xlsx") == 1
    assert session.exec(select(Tenant.id_number).where(Tenant.phone == "13900000003")).one() == VALID


def test_a_role_that_reads_a_number_masked_edits_the_row_without_seeing_or_overwriting_it(session, principal_of):
    from clss_app.admin import crud
    from clss_app.admin.state import AdminState
    from clss_app.site import app_site
    from tests.unit.test_handlers import _state, _token

    row = _tenant(session, principal_of)
    session.commit()
    st = _state(AdminState, _token("principal"))
    st.load("tenants")
    st.open_edit(str(row.id))
    assert st.form_values["phone"] == "139****5678" and st.form_values["id_number"] == "1101**********002X"
    assert {"phone", "id_number"} <= set(st.readonly_fields)
    st.open_create()  # a new tenant's numbers are typed in by whoever registers them
    assert "phone" not in st.readonly_fields and st.form_values["phone"] == ""

    tenants = app_site().admin("tenants")
    raw = {"name": "改名", "phone": "139****5678", "id_number": "1101**********002X", "company_id": str(row.company_id)}
    saved, _ = crud.update(session, tenants, principal_of("principal"), row.id, raw, row.version)
    assert (saved.name, saved.phone, saved.id_number) == ("改名", "13912345678", VALID)


def test_no_role_may_order_a_list_by_a_number_it_reads_masked(principal_of):
    """An order by the full number would tell the hidden digits apart (132****2398 before 132****0561)."""
    from clss_app.admin import privacy
    from clss_app.admin.query import ListQuery
    from clss_app.demo import DEMO_LOGINS
    from clss_app.site import app_site

    for login, _name, _role in DEMO_LOGINS:
        p = principal_of(login)
        for admin in app_site().admins():
            leaks = [n for n in admin.sortable_for(p) if n in admin.fields and privacy.masked(admin.fields[n], p)]
            assert not leaks, f"{admin.key} as {login}: {leaks}"
    signups = app_site().admin("event_signups")
    assert ListQuery(sort="-phone").problems(signups, principal_of("sysadmin"))["sort"] == "该列不能排序"


def test_the_audit_log_leaves_out_what_the_resource_hides_from_the_role(session, principal_of):
    """A staff phone is hidden from 超级管理员 on 员工管理: its changes are not read in 操作日志 either."""
    import json

    from sqlmodel import select

    from clss_app.admin import audit
    from clss_app.admin.query import display
    from clss_app.site import app_site
    from models import AuditLog, User

    staff = session.exec(select(User).where(User.username == "finance2")).one()
    before, after = {"phone": staff.phone, "display_name": staff.display_name}, {"phone": "13930600000"}
    audit.record(session, principal_of("sysadmin"), "users", staff.id, "update", before=before, after=after)
    session.flush()
    entry = session.exec(select(AuditLog).where(AuditLog.resource == "users", AuditLog.row_id == staff.id)).all()[-1]
    log = app_site().admin("audit_log")
    for who, sees in (("super", False), ("sysadmin", True)):
        if not log.allowed(principal_of(who), "view"):
            continue
        shown = display(session, log, principal_of(who), [entry], ["before", "after"])[0]
        assert ("phone" in json.loads(shown["after"] or "{}")) is sees, who

"""The generated pages, clicked through as a user would, on the demo data."""

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import CityParam, Role, User, utcnow
from tests.e2e.conftest import edit_row, go, login, shot


def open_page(page, username, path, role_label):
    login(page, username)
    expect(page.locator("#current-role")).to_have_text(role_label)
    go(page, path)


def rows(page):
    return page.locator("#admin-table tbody tr")


def column(page, index):
    return [t.strip() for t in page.locator(f"#admin-table tbody tr td:nth-child({index})").all_inner_texts()]


def db(app_db):
    return create_engine(app_db)


def _users(app_db, role: str | None = None) -> list[str]:
    """The demo's logins (of one role), as the lists below should count them: from the database,
    so a new demo login does not silently shift every figure."""
    with Session(db(app_db)) as s:
        q = select(User.username)
        return list(s.exec(q.where(User.role == Role(role)) if role else q))


def test_list_search_filter_sort_and_paging(page, app_db):
    everyone, finance = _users(app_db), sorted(_users(app_db, "finance"))
    assert 20 < len(everyone) < 40 and len(finance) > 1  # two pages; the test below needs both
    open_page(page, "super", "/system/users", "超级管理员")
    expect(page.locator("#admin-total")).to_have_text(str(len(everyone)))
    expect(rows(page)).to_have_count(20)
    shot(page, "engine-users")

    page.locator("#page-next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(rows(page)).to_have_count(len(everyone) - 20)
    page.go_back()
    expect(page.locator("#page-current")).to_have_text("1")
    expect(rows(page)).to_have_count(20)

    page.locator("#admin-search").fill("sysadmin")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"q=sysadmin"))
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#admin-total")).to_have_text("3")

    page.get_by_role("button", name="清除筛选").click()
    expect(page.locator("#admin-total")).to_have_text(str(len(everyone)))
    page.locator("select[data-filter=role]").select_option(label="角色：财务")
    expect(page).to_have_url(re.compile(r"f_role=finance"))
    expect(page.locator("#admin-total")).to_have_text(str(len(finance)))
    assert set(column(page, 4)) == {"财务"}

    # While a list change is in flight the list is marked pending, and the reply clears it.
    page.evaluate("""() => { window.__marks = []; new MutationObserver(ms => ms.forEach(m =>
        window.__marks.push(m.target.dataset.loading ?? null))).observe(
        document.getElementById('admin-list'), {attributes: true, attributeFilter: ['data-loading']}); }""")
    page.locator("[data-sort=username]").click()
    expect(page).to_have_url(re.compile(r"sort=username"))
    expect(rows(page).first).to_contain_text(finance[0])
    page.wait_for_function("window.__marks.length >= 2")
    assert page.evaluate("window.__marks") == ["1", None]
    expect(page.locator("#admin-list")).not_to_have_attribute("data-loading", re.compile(".*"))
    names = column(page, 2)
    assert names == sorted(names)
    page.locator("[data-sort=username]").click()
    expect(page).to_have_url(re.compile(r"sort=-username"))
    expect(rows(page).first).to_contain_text(finance[-1])
    assert column(page, 2) == sorted(names, reverse=True)

    # The URL alone reproduces the view: open it fresh.
    url = page.url
    page.goto("/")
    page.goto(url)
    expect(page.locator("#admin-total")).to_have_text(str(len(finance)))
    expect(rows(page).first).to_contain_text(finance[-1])


def _choose_key(page, name: str) -> None:
    page.locator("#field-key").click()
    page.get_by_role("option", name=name, exact=True).click()


def test_create_with_field_errors_then_duplicate_then_success(page):
    open_page(page, "super", "/system/city-params", "超级管理员")
    page.locator("#admin-create").click()
    page.locator("#form-save").click()
    expect(page.locator("#error-city")).to_have_text("城市不能为空")
    expect(page.locator("#error-key")).to_have_text("参数名不能为空")
    expect(page.locator("#form-error")).to_be_visible()
    shot(page, "engine-form-errors")
    page.locator("#field-city").fill("北京")
    _choose_key(page, "滞纳金宽限天数")  # the catalogue's names, not keys to type
    page.locator("#field-value").fill("5")
    page.locator("#form-save").click()
    expect(page.locator("#error-key")).to_have_text("城市、参数名已存在：滞纳金宽限天数")
    page.locator("#field-city").fill("京" * 70)
    page.locator("#form-save").click()
    expect(page.locator("#error-city")).to_contain_text("不能超过")
    page.locator("#field-city").fill("北京")
    _choose_key(page, "抄表日")
    page.locator("#form-save").click()
    expect(page.get_by_text("已新增：抄表日")).to_be_visible()  # a parameter by its name (services/params.py)
    page.locator("#admin-search").fill("meter_reading_day")
    page.get_by_role("button", name="查询").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("北京")


def test_edit_then_conflicting_edit_is_refused(page, browser, base_url, app_db):
    open_page(page, "super", "/system/city-params?q=rent_guide_price", "超级管理员")
    other = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url).new_page()
    open_page(other, "super", "/system/city-params?q=rent_guide_price", "超级管理员")

    # Both open the same row for editing ...
    page.locator("#admin-table tbody tr").filter(has_text="上海").get_by_text("编辑").click()
    other.locator("#admin-table tbody tr").filter(has_text="上海").get_by_text("编辑").click()
    expect(page.locator("#field-value")).to_have_value("85")
    expect(other.locator("#field-value")).to_have_value("85")
    # ... the first saves ...
    page.locator("#field-value").fill("92")
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存：租金指导价")).to_be_visible()
    # ... and the second is refused instead of overwriting.
    other.locator("#field-value").fill("70")
    other.locator("#form-save").click()
    expect(other.locator("#form-error")).to_contain_text("已被他人修改")
    shot(other, "engine-conflict")
    other.context.close()
    with Session(db(app_db)) as s:
        row = s.exec(select(CityParam).where(CityParam.city == "上海", CityParam.key == "rent_guide_price")).one()
    assert row.value == "92" and row.version == 2

    # The change is in the row's audit trail, before and after.
    page.locator("#admin-table tbody tr").filter(has_text="上海").get_by_text("查看").click()
    page.get_by_role("tab", name="操作记录").click()
    expect(page.locator("#detail-history")).to_contain_text("修改 租金指导价")
    expect(page.locator("#detail-history")).to_contain_text("参数值：85 → 92")


def test_bulk_action_with_confirmation_and_select_all_matching(page, app_db):
    engine = db(app_db)
    with Session(engine) as s:
        for name in ("store2", "finance2"):
            u = s.exec(select(User).where(User.username == name)).one()
            u.locked_until = utcnow() + timedelta(minutes=10)
            s.add(u)
        s.commit()
    open_page(page, "sysadmin", "/system/users", "系统管理员")
    for name in ("store2", "finance2"):
        page.locator("#admin-table tbody tr").filter(has_text=name).locator("input[type=checkbox]").click()
    expect(page.locator("#selection-count")).to_have_text("已选 2 条")
    page.locator("#action-unlock").click()
    expect(page.locator("#confirm-text")).to_contain_text("2 条")
    shot(page, "engine-confirm")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("解锁账号成功 2 条")).to_be_visible()
    with Session(engine) as s:
        assert all(
            u.locked_until is None for u in s.exec(select(User).where(User.username.in_(["store2", "finance2"]))).all()
        )


def test_select_all_matching_acts_beyond_the_page_on_screen(page, app_db):
    with Session(db(app_db)) as s:
        for name in ("finance5", "principal5"):  # both on page 2
            u = s.exec(select(User).where(User.username == name)).one()
            u.locked_until = utcnow() + timedelta(minutes=10)
            s.add(u)
        s.commit()
    total = len(_users(app_db))
    open_page(page, "super", "/system/users", "超级管理员")
    expect(rows(page)).to_have_count(20)
    page.locator("#select-page").click()
    expect(page.locator("#selection-count")).to_have_text("已选 20 条")
    page.locator("#select-all-matching").click()
    expect(page.locator("#selection-count")).to_have_text(f"已选择全部 {total} 条符合条件的记录")
    page.locator("#action-unlock").click()
    expect(page.locator("#confirm-text")).to_contain_text(f"{total} 条")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("解锁账号成功 2 条")).to_be_visible()
    expect(page.get_by_text(f"未处理 {total - 2} 条")).to_be_visible()
    with Session(db(app_db)) as s:
        assert s.exec(select(User).where(User.locked_until.is_not(None))).all() == []


def test_foreign_key_picker_and_scope_checked_on_create(page):
    open_page(page, "sysadmin", "/system/org-units", "系统管理员")
    page.locator("#admin-create").click()
    page.locator("#field-name").fill("京华长租公寓有限公司")
    page.locator("#field-kind").click()
    page.get_by_role("option", name="企业", exact=True).click()
    page.locator("#fk-parent_id").click()
    page.locator("[data-fk-search=parent_id]").fill("北京")
    page.locator("[data-option='北京分行']").click()
    expect(page.locator("#fk-parent_id")).to_contain_text("北京分行")
    page.locator("#field-city").fill("北京")
    shot(page, "engine-fk-picker")
    page.locator("#form-save").click()
    expect(page.get_by_text("已新增：京华长租公寓有限公司")).to_be_visible()
    expect(page.locator("#admin-total")).to_have_text("4")

    # A branch may only sit under the HQ, which lies outside a branch admin's scope.
    page.locator("#admin-create").click()
    page.locator("#field-name").fill("雄安分行")
    page.locator("#field-kind").click()
    page.get_by_role("option", name="分行", exact=True).click()
    page.locator("#fk-parent_id").click()
    expect(page.locator("[data-option='总行']")).to_have_count(0)
    page.locator("[data-option='北京分行']").click()
    page.locator("#form-save").click()
    expect(page.locator("#error-parent_id")).to_have_text("分行的上级须为总行")


def test_export_downloads_every_matching_row(page, tmp_path, app_db):
    import polars as pl

    finance = len(_users(app_db, "finance"))
    open_page(page, "super", "/system/users?f_role=finance", "超级管理员")
    expect(page.locator("#admin-total")).to_have_text(str(finance))
    page.locator("#admin-export").click()
    with page.expect_download() as info:
        page.locator("#export-xlsx").click()
    path = tmp_path / "users.xlsx"
    info.value.save_as(path)
    frame = pl.read_excel(path)
    assert frame.height == finance and set(frame["角色"]) == {"财务"}
    assert "password_hash" not in " ".join(frame.columns)
    page.locator("#admin-export").click()
    with page.expect_download() as info:
        page.locator("#export-csv").click()
    csv = tmp_path / "users.csv"
    info.value.save_as(csv)
    assert pl.read_csv(csv).height == finance
    # The link worked once; a second fetch of the same ticket is refused.
    response = page.request.get(info.value.url)
    assert response.status == 404


def test_import_reports_bad_rows_then_commits_all_or_nothing(page, tmp_path, app_db):
    import polars as pl

    open_page(page, "super", "/system/city-params", "超级管理员")
    before = page.locator("#admin-total").inner_text()
    page.locator("#admin-import").click()
    with page.expect_download() as info:
        page.locator("#import-template").click()
    template = tmp_path / "template.xlsx"
    info.value.save_as(template)
    assert pl.read_excel(template).columns == ["城市", "参数名", "参数值", "说明"]

    bad = tmp_path / "bad.csv"
    pl.DataFrame(
        {
            "城市": ["杭州", "杭州", "", "杭州"],
            "参数名": ["late_fee_grace_days", "late_fee_grace_days", "meter_reading_day", "北京" * 40],
            "参数值": ["1", "2", "3", "4"],
            "说明": ["", "", "", ""],
        }
    ).write_csv(bad)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(bad))
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(3)
    expect(page.locator("#import-errors")).to_contain_text("与第 2 行重复")
    expect(page.locator("#import-errors")).to_contain_text("城市不能为空")
    expect(page.locator("#import-errors")).to_contain_text("不能超过 64 个字符")
    expect(page.locator("#import-commit")).to_be_disabled()
    shot(page, "engine-import-errors")

    good = tmp_path / "good.csv"
    keys = ["late_fee_grace_days", "meter_reading_day"]  # keys of the catalogue (services/params.py)
    pl.DataFrame({"城市": ["杭州", "杭州"], "参数名": keys, "参数值": ["1", "2"], "说明": ["x", ""]}).write_csv(good)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(good))
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 2 条")).to_be_visible()
    expect(page.locator("#admin-total")).to_have_text(str(int(before) + 2))
    with Session(db(app_db)) as s:
        assert len(s.exec(select(CityParam).where(CityParam.city == "杭州")).all()) == 2


def test_scoped_lists_and_the_audit_log_page(page, app_db):
    from models import Project

    # A principal sees exactly the projects of their own company.
    open_page(page, "principal", "/housing/projects", "负责人")
    with Session(db(app_db)) as s:
        from models import OrgUnit

        company = s.exec(select(OrgUnit).where(OrgUnit.name == "京安居住房租赁有限公司")).one()
        names = sorted(s.exec(select(Project.name).where(Project.company_id == company.id)).all())
    expect(rows(page)).to_have_count(len(names))
    assert sorted(column(page, 3)) == names  # column 2 is the cover image
    shot(page, "engine-projects-principal")

    # A branch admin changes an enterprise parameter; the audit log page shows who did what.
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    open_page(page, "sysadmin", "/system/enterprise-params?q=withhold_days", "系统管理员")
    expect(rows(page)).to_have_count(2)  # the two Beijing companies only
    rows(page).first.get_by_text("编辑").click()
    page.locator("#field-value").fill("7")
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存：代扣提前天数")).to_be_visible()
    page.goto("/system/audit-log?q=代扣提前天数")
    expect(rows(page).first).to_contain_text("修改 代扣提前天数")
    expect(rows(page).first).to_contain_text("sysadmin")
    rows(page).first.get_by_text("查看").click()
    expect(page.locator("#detail-items")).to_contain_text('"value": "7"')
    shot(page, "engine-audit-log")


def test_image_upload_is_checked_previewed_and_listed(page, tmp_path):
    from tests.images import png

    good, fake = tmp_path / "cover.png", tmp_path / "fake.png"
    good.write_bytes(png(640, 360))
    fake.write_bytes(b"this is not an image at all")
    open_page(page, "principal", "/housing/projects", "负责人")
    edit_row(rows(page).first)  # a draft project's row shows 提交审核, 编辑 is under 更多
    page.locator("#upload-cover input[type=file]").set_input_files(str(fake))
    expect(page.locator("#error-cover")).to_have_text("封面图须为 JPG、PNG 或 WebP 图片")
    page.locator("#upload-cover input[type=file]").set_input_files(str(good))
    expect(page.locator("#preview-cover")).to_be_visible()
    expect(page.locator("#error-cover")).to_have_count(0)
    shot(page, "engine-image-upload")
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    thumb = rows(page).first.locator("img")
    expect(thumb).to_be_visible()
    src = thumb.get_attribute("src")
    assert src.startswith("/_clss/media/") and page.request.get(src).body() == good.read_bytes()


def test_assign_projects_to_store_staff_with_the_many_picker(page, app_db):
    open_page(page, "sysadmin", "/system/users", "系统管理员")
    page.locator("#admin-search").fill("store2")
    page.get_by_role("button", name="查询").click()
    expect(rows(page)).to_have_count(1)
    rows(page).first.get_by_text("编辑").click()
    expect(page.locator("[data-chip='海淀悦居']")).to_be_visible()
    page.locator("#many-projects").click()
    expect(page.locator("[data-option='朝阳青年汇']")).to_be_visible()  # same branch, picker allows it
    expect(page.locator("[data-option='闵行星河公寓']")).to_have_count(0)  # another branch: never offered
    page.locator("[data-option='朝阳青年汇']").click()
    page.keyboard.press("Escape")
    page.locator("#form-save").click()
    expect(page.locator("#error-projects")).to_have_text("项目“朝阳青年汇”不属于该员工的所属机构")
    page.locator("[data-chip='朝阳青年汇'] button").click()
    page.locator("#many-projects").click()
    page.locator("[data-fk-search=projects]").fill("丰台")
    page.locator("[data-option='丰台优家']").click()
    page.keyboard.press("Escape")
    shot(page, "engine-many-picker")
    page.locator("#form-save").click()
    with Session(db(app_db)) as s:
        name = s.exec(select(User.display_name).where(User.username == "store2")).one()
    expect(page.get_by_text(f"已保存：{name}")).to_be_visible()
    rows(page).first.get_by_text("查看").click()
    expect(page.locator("#detail-items").get_by_text("丰台优家、海淀悦居")).to_be_visible()
    with Session(db(app_db)) as s:
        from models import UserProject

        uid = s.exec(select(User.id).where(User.username == "store2")).one()
        assert sorted(s.exec(select(UserProject.project_id).where(UserProject.user_id == uid)).all()) == [3, 4]


def test_private_attachment_upload_and_one_time_download(page, tmp_path):
    from tests.unit.test_media import PDF

    good, fake = tmp_path / "营业执照.pdf", tmp_path / "virus.pdf"
    good.write_bytes(PDF)
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    open_page(page, "sysadmin", "/system/org-units", "系统管理员")
    row = rows(page).filter(has_text="燕园公寓管理有限公司")
    row.get_by_text("编辑").click()
    page.locator("#upload-license_file input[type=file]").set_input_files(str(fake))
    expect(page.locator("#error-license_file")).to_have_text("营业执照须为 PDF、JPG、PNG 文件")
    page.locator("#upload-license_file input[type=file]").set_input_files(str(good))
    expect(page.locator("#file-license_file")).to_have_text("营业执照.pdf")
    expect(page.locator("#error-license_file")).to_have_count(0)
    shot(page, "engine-file-upload")
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存：燕园公寓管理有限公司")).to_be_visible()
    row.get_by_text("查看").click()
    with page.expect_download() as info:
        page.locator("[data-download=license_file]").click()
    download = info.value
    assert download.suggested_filename == "营业执照.pdf"
    assert download.path().read_bytes() == PDF
    page.get_by_role("tab", name="操作记录").click()
    expect(page.locator("#detail-history")).to_contain_text("下载营业执照：营业执照.pdf")
    expect(page.locator("#detail-history")).to_contain_text("营业执照：（空） → 营业执照.pdf")
    shot(page, "engine-detail-history")

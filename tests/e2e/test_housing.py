"""房源管理 clicked through: a store of a non-whitelist company sets up a project and its rooms."""

import re

import polars as pl
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import ImportBatch, Project, PublishState, Room
from tests.e2e.conftest import go, list_ready, login, open_list, shot
from tests.e2e.test_admin_engine import rows

PROJECT = "燕园学院路公寓"


def _pick(page, field, text):
    page.locator(f"#fk-{field}").click()
    page.locator(f"[data-fk-search={field}]").fill(text)
    page.locator(f"[data-option='{text}']").click()


def _choose(page, field, label):
    page.locator(f"#field-{field}").click()
    page.get_by_role("option", name=label, exact=True).click()


def _new_in_project(page, path, name):
    """Open the list from its route, start a new row in the test's project, type its name."""
    go(page, path)
    page.locator("#admin-create").click()
    _pick(page, "project_id", PROJECT)
    page.locator("#field-name").fill(name)


def _save(page, toast):
    page.locator("#form-save").click()
    expect(page.get_by_text(toast)).to_be_visible()


def _rooms_sheet(path, n, bad_rows=()):
    numbers = [f"A-{i // 20 + 2}{i % 20 + 1:02d}" for i in range(n)]
    frame = pl.DataFrame(
        {
            "项目": [PROJECT] * n,
            "楼栋": ["A座"] * n,
            "楼层": [str(i // 20 + 2) for i in range(n)],
            "房号": numbers,
            "户型": ["一居室"] * n,
            "面积(㎡)": ["32.5"] * n,
            "月租金(元)": ["3200"] * n,
            "押金(元)": ["3200"] * n,
            "朝向": ["南"] * n,
        }
    )
    for row, column, value in bad_rows:
        frame[row, column] = value
    frame.write_excel(path)


def _select_row(page, name):
    rows(page).filter(has_text=name).locator("input[type=checkbox]").click()


def test_store_sets_up_a_project_imports_rooms_and_gets_it_approved(page, app_db, tmp_path):
    engine = create_engine(app_db)
    login(page, "store2")
    expect(page.locator("#current-role")).to_have_text("店长")

    # 1. The project, from the menu.
    open_list(page, "项目管理")
    page.locator("#admin-create").click()
    page.locator("#field-name").fill(PROJECT)
    _pick(page, "company_id", "燕园公寓管理有限公司")
    page.locator("#field-city").fill("北京")
    _choose(page, "kind", "集中式")
    _save(page, f"已新增：{PROJECT}")
    # A store manager sees their own projects only, never another company's.
    expect(rows(page).filter(has_text=PROJECT)).to_have_count(1)
    expect(rows(page).filter(has_text="朝阳青年汇")).to_have_count(0)

    # 2. A building and a unit type.
    _new_in_project(page, "/housing/buildings", "A座")
    _save(page, "已新增：A座")
    _new_in_project(page, "/housing/unit-types", "一居室")
    _choose(page, "rent_mode", "整租")
    page.locator("#field-area").fill("32")
    page.locator("#field-reference_rent").fill("3200")
    _save(page, "已新增：一居室")

    # 3. A fee item, then its pricing standard from the fee item's detail.
    _new_in_project(page, "/housing/fee-items", "租金")
    _choose(page, "kind", "周期性")
    page.locator("#form-save").click()
    expect(page.locator("#error-name")).to_have_text("租金不是费项：请在房间上设置月租金")
    page.locator("#field-name").fill("物业费")
    _save(page, "已新增：物业费")
    rows(page).filter(has_text=PROJECT).filter(has_text="物业费").get_by_text("查看").click()
    page.get_by_role("tab").filter(has_text="计费标准").click()  # the detail's tab of them, then the list
    page.locator(".clss-related[data-tab='计费标准']").get_by_role("link", name="查看全部 →").click()
    expect(page).to_have_url(re.compile(r"/housing/pricing-standards/?\?f_fee_item_id=\d+"))
    list_ready(page, "/housing/pricing-standards")
    expect(rows(page)).to_have_count(0)
    page.locator("#admin-create").click()
    expect(page.locator("#fk-fee_item_id")).to_contain_text("物业费")  # taken from the list's filter
    page.locator("#field-name").fill("标准物业费")
    page.locator("#field-unit_price").fill("2.8")
    _choose(page, "unit", "元/㎡·月")
    page.locator("#field-late_fee_rate").fill("0.05")
    shot(page, "housing-pricing-form")
    _save(page, "已新增：标准物业费")

    # 4. 500 rooms from Excel: two bad rows are reported, fixed, and the file re-imported.
    go(page, "/housing/rooms")
    page.locator("#admin-import").click()
    bad = tmp_path / "rooms-bad.xlsx"
    _rooms_sheet(bad, 500, [(10, "面积(㎡)", "-5"), (250, "楼栋", "Z座")])
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(bad))
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("12")
    expect(errors.nth(0)).to_contain_text("面积(㎡)不能小于 0")
    expect(errors.nth(1)).to_contain_text("252")
    expect(errors.nth(1)).to_contain_text("所选项目下没有楼栋“Z座”")
    expect(page.locator("#import-commit")).to_be_disabled()
    shot(page, "housing-import-errors")
    good = tmp_path / "rooms.xlsx"
    _rooms_sheet(good, 500)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(good))
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 500 条")).to_be_visible()
    with Session(engine) as s:
        project = s.exec(select(Project).where(Project.name == PROJECT)).one()
        assert len(s.exec(select(Room).where(Room.project_id == project.id)).all()) == 500

    # 5. Submit for review; the branch's system admin approves.
    go(page, "/housing/projects")
    _select_row(page, PROJECT)
    page.locator("#action-submit").click()
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("提交审核成功 1 条")).to_be_visible()
    expect(rows(page).filter(has_text=PROJECT)).to_contain_text("待审核")
    page.get_by_role("button", name="退出登录").click()

    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    go(page, "/housing/projects?f_publish_state=pending")
    _select_row(page, PROJECT)
    page.locator("#action-approve").click()
    page.locator("#confirm-input").fill("资料齐全")
    shot(page, "housing-approve")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("审核通过成功 1 条")).to_be_visible()
    with Session(engine) as s:
        project = s.exec(select(Project).where(Project.name == PROJECT)).one()
        assert (project.publish_state, project.review_comment) == (PublishState.PUBLISHED, "资料齐全")


def test_same_day_batch_cancel_removes_exactly_its_rooms(page, app_db, tmp_path):
    engine = create_engine(app_db)
    with Session(engine) as s:
        before = len(s.exec(select(Room).where(Room.project_id == 3)).all())
    login(page, "store2")
    expect(page.locator("#current-role")).to_have_text("店长")
    go(page, "/housing/rooms")
    page.locator("#admin-import").click()
    sheet = tmp_path / "more.xlsx"
    pl.DataFrame(
        {
            "项目": ["海淀悦居"] * 3,
            "楼栋": ["1号楼"] * 3,
            "楼层": ["30"] * 3,
            "房号": ["1-3001", "1-3002", "1-3003"],
            "面积(㎡)": ["40"] * 3,
            "月租金(元)": ["3500"] * 3,
            "押金(元)": ["3500"] * 3,
        }
    ).write_excel(sheet)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(sheet))
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 3 条")).to_be_visible()

    open_list(page, "导入批次管理")
    batch = rows(page).filter(has_text="more.xlsx")
    expect(batch).to_contain_text("已导入")
    batch.get_by_text("查看").click()
    page.get_by_role("tab").filter(has_text="导入的房间").click()
    expect(page.locator(".clss-related[data-tab='导入的房间']")).to_contain_text("共 3 条")
    page.locator(".clss-related[data-tab='导入的房间']").get_by_role("link", name="查看全部 →").click()
    expect(page).to_have_url(re.compile(r"f_import_batch_id=\d+"))
    expect(rows(page)).to_have_count(3)
    open_list(page, "导入批次管理")
    _select_row(page, "more.xlsx")
    page.locator("#action-cancel").click()
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("撤销导入成功 1 条")).to_be_visible()
    expect(rows(page).filter(has_text="more.xlsx")).to_contain_text("已撤销")
    shot(page, "housing-batches")
    with Session(engine) as s:
        assert len(s.exec(select(Room).where(Room.project_id == 3)).all()) == before
        assert not s.exec(select(Room).where(Room.number.in_(["1-3001", "1-3002", "1-3003"]))).all()
        assert s.exec(select(ImportBatch).where(ImportBatch.filename == "more.xlsx")).one().state.value == "cancelled"


def test_room_photos_and_the_visibility_rule(page, tmp_path):
    from tests.images import png

    photos = [tmp_path / f"p{i}.png" for i in range(3)]
    for i, path in enumerate(photos):
        path.write_bytes(png(400 + i, 300))
    fake = tmp_path / "virus.jpg"
    fake.write_bytes(b"MZ\x90\x00 not an image")
    login(page, "store2")
    expect(page.locator("#current-role")).to_have_text("店长")
    go(page, "/housing/rooms?q=1-101")
    rows(page).first.get_by_text("编辑").click()
    page.locator("#field-visible").click()
    page.get_by_role("option", name="是", exact=True).click()
    page.locator("#form-save").click()
    expect(page.locator("#error-visible")).to_contain_text("对租客可见前须补充：")
    expect(page.locator("#error-visible")).to_contain_text("封面图、介绍图片")

    page.locator("#upload-photos input[type=file]").set_input_files([str(fake)])
    expect(page.locator("#error-photos")).to_have_text("介绍图片须为 JPG、PNG 或 WebP 图片")
    page.locator("#upload-photos input[type=file]").set_input_files([str(p) for p in photos])
    expect(page.locator("#images-photos [data-image]")).to_have_count(3)
    page.locator("#images-photos [data-image]").first.locator("button").click()
    expect(page.locator("#images-photos [data-image]")).to_have_count(2)
    page.locator("#upload-cover input[type=file]").set_input_files(str(photos[0]))
    expect(page.locator("#preview-cover")).to_be_visible()
    page.locator("#field-longitude").fill("116.312345")
    page.locator("#field-latitude").fill("39.991234")
    shot(page, "housing-room-photos")
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存：1-101")).to_be_visible()
    expect(rows(page).first.locator("img")).to_be_visible()
    expect(rows(page).first).to_contain_text("是")

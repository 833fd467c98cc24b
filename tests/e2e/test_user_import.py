"""用户导入 in Chromium: a 运营类 company's 负责人 is refused; 店长 of 京安居 imports a sheet with a bad row
(each reason shown, nothing written), imports it fixed, the nightly T+1 batch asks the sandbox 住房云
(one person created, one refused with 住房云's reason on the row), adds one person with 是否直接创建客户
(verified at once), then opens the batch from 导入批次管理 (查看: the batch's own rows) and 取消 it,
refused while one of its users is a tenant already; a batch of nobody created cancels."""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, select

from clss_app.core import clock
from clss_app.core.privacy import check_digit
from clss_app.sandbox import housing_cloud as sandbox
from clss_app.services import housing_cloud as hc
from clss_app.services import user_import
from models import BatchState, ImportBatch, ImportedUser, UserImportState
from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import pick
from tests.sandbox_server import sandbox_call

COMPANY = "京安居住房租赁有限公司"
LISTED = list(sandbox.REFUSED)[1]


def _id(first17: str) -> str:
    return first17 + check_digit(first17)


def _sheet(path, people) -> str:
    pl.DataFrame(
        [{"姓名": n, "手机号": ph, "身份证号": i, "所属企业": c} for n, ph, i, c in people],
        schema={"姓名": pl.String, "手机号": pl.String, "身份证号": pl.String, "所属企业": pl.String},
    ).write_excel(path)
    return str(path)


def _upload(page, path: str) -> None:
    page.locator("#admin-import").click()
    page.locator("#admin-import-upload input[type=file]").set_input_files(path)


def _cancel_batch(page, filename: str) -> None:
    """取消 the batch of ``filename`` from 导入批次管理."""
    open_list(page, "导入批次管理")
    rows(page).filter(has_text=filename).locator("input[type=checkbox]").click()
    page.locator("#action-cancel").click()
    page.locator("#confirm-ok").click()


def test_an_operating_company_is_refused_user_import(page, tmp_path):
    login(page, "principal3")  # 申城安居: 运营类
    expect(page.locator("#current-role")).to_be_visible()
    go(page, "/users/imports")
    sheet = _sheet(
        tmp_path / "op.xlsx", [("运营甲", "13822220001", _id("31010119900101301"), "申城安居企业管理有限公司")]
    )
    _upload(page, sheet)
    expect(page.locator("#import-errors")).to_contain_text("运营类企业不开放用户导入")
    expect(page.locator("#import-commit")).to_be_disabled()
    shot(page, "user-import-operating-refused")


def test_import_t1_single_add_and_the_batch(page, app_db, sandbox_url, tmp_path, monkeypatch):
    sandbox_call(sandbox_url, "/sandbox/housing-cloud/control", {"reset": True})
    engine = create_engine(app_db)
    good, bad = _id("11010619890202001"), _id("11010619890202002")[:-1] + "0"
    people = [("导入甲", "13822221001", good, COMPANY), ("导入乙", "13822221002", LISTED, COMPANY)]
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    open_list(page, "用户导入")

    # A sheet with a bad row: each reason shown, nothing written.
    _upload(page, _sheet(tmp_path / "users-bad.xlsx", [*people, ("导入丙", "1382222", bad, COMPANY)]))
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("身份证号校验位不正确")
    expect(errors).to_contain_text("手机号须为 11 位数字")
    expect(page.locator("#import-summary")).to_contain_text("共 3 行：校验通过 2 行，有误 1 行")
    expect(page.locator("#import-commit")).to_be_disabled()
    shot(page, "user-import-bad-rows")
    page.keyboard.press("Escape")

    _upload(page, _sheet(tmp_path / "users-e2e.xlsx", people))
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 2 条")).to_be_visible()
    for name, *_ in people:
        expect(rows(page).filter(has_text=name)).to_contain_text("待创建")

    # The nightly batch of tomorrow (T+1) asks 住房云.
    monkeypatch.setenv("CLSS_DATABASE_URL", app_db)
    done = user_import.run_due(clock.today() + timedelta(days=1), hc.HttpHousingCloud(sandbox_url, hc.key()))
    assert done["users_created"] >= 1 and done["users_failed"] >= 1
    go(page, "/users/imports")
    expect(rows(page).filter(has_text="导入甲")).to_contain_text("创建成功")
    refused = rows(page).filter(has_text="导入乙")
    expect(refused).to_contain_text("创建失败")
    expect(refused).to_contain_text(sandbox.REFUSED[LISTED])
    shot(page, "user-import-after-t1")

    # 单个新增 with 是否直接创建客户: verified at once.
    page.locator("#admin-create").click()
    page.locator("#field-name").fill("单个丁")
    page.locator("#field-phone").fill("13822221004")
    page.locator("#field-id_number").fill(_id("11010619890202004"))
    pick(page, "company_id", "京安居", COMPANY)
    page.locator("#field-create_now").click()
    page.get_by_role("option", name="是", exact=True).click()
    shot(page, "user-import-single-add")
    page.locator("#form-save").click()
    expect(page.get_by_text("住房云验证通过，已创建客户")).to_be_visible()
    expect(rows(page).filter(has_text="单个丁")).to_contain_text("创建成功")

    # 导入批次管理: 查看 lists the batch's own rows; 取消 is refused while one of them is a tenant.
    open_list(page, "导入批次管理")
    batch = rows(page).filter(has_text="users-e2e.xlsx")
    expect(batch).to_contain_text("用户导入")
    batch.get_by_text("查看").click()
    page.get_by_role("tab").filter(has_text="导入的用户").click()
    related = page.locator(".clss-related[data-tab='导入的用户']")
    expect(related).to_contain_text("共 2 条")
    related.get_by_role("link", name="查看全部 →").click()
    expect(page).to_have_url(re.compile(r"/users/imports\?f_import_batch_id=\d+"))
    expect(rows(page)).to_have_count(2)

    _cancel_batch(page, "users-e2e.xlsx")
    expect(page.get_by_text("已创建客户")).to_be_visible()
    expect(rows(page).filter(has_text="users-e2e.xlsx")).to_contain_text("已导入")

    # A batch of nobody created yet: cancelled, its rows gone.
    open_list(page, "用户导入")
    _upload(page, _sheet(tmp_path / "users-undo.xlsx", [("撤销戊", "13822221005", _id("11010619890202005"), COMPANY)]))
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 1 条")).to_be_visible()
    _cancel_batch(page, "users-undo.xlsx")
    expect(page.get_by_text("撤销导入成功 1 条")).to_be_visible()
    expect(rows(page).filter(has_text="users-undo.xlsx")).to_contain_text("已撤销")
    shot(page, "user-import-batches")
    with Session(engine) as s:
        undone = s.exec(select(ImportBatch).where(ImportBatch.filename == "users-undo.xlsx")).one()
        assert undone.state == BatchState.CANCELLED
        assert s.exec(select(ImportedUser).where(ImportedUser.import_batch_id == undone.id)).all() == []
        kept = s.exec(select(ImportedUser).where(col(ImportedUser.name).in_(["导入甲", "导入乙"]))).all()
        assert {u.state for u in kept} == {UserImportState.CREATED, UserImportState.FAILED}

"""Issue 21's lists at 1366 px as each role that works in them opens them (review r1): no column sits
under the sticky 操作 column (验证时间, 失败原因, 备案说明, 政府备案, 申请时间 were there), and
导入批次管理 filters by 导入场景 (a free-text scene drew no control)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, open_list, shot
from tests.e2e.test_admin_engine import column, rows

LISTS = {
    "manager": ["用户导入", "合同导入", "网签和备案", "合同列表", "贷款记录", "存房申请", "存房合同"],
    "finance": ["合同列表", "存房付款计划", "贷款记录"],
    "sysadmin": ["导入批次管理", "项目参数", "贷款参数", "住房链上架申请", "上架结果"],
    "principal": ["在线签约设置", "住房链上架申请", "导入批次管理"],
}

# Each header's right edge and the 操作 header's left edge, in px.
EDGES = """() => {
  const heads = [...document.querySelectorAll('#admin-table thead th')];
  const ops = heads.find(h => h.innerText.trim() === '操作');
  const opsLeft = ops ? ops.getBoundingClientRect().left : window.innerWidth;
  return heads.filter(h => h !== ops && h.innerText.trim())
    .map(h => [h.innerText.trim(), Math.round(h.getBoundingClientRect().right), Math.round(opsLeft)]);
}"""


@pytest.mark.parametrize("role", list(LISTS))
def test_every_column_is_in_sight_at_1366(page, role):
    login(page, role)
    expect(page.locator("#current-role")).to_be_visible()
    hidden = {}
    for entry in LISTS[role]:
        open_list(page, entry)
        under = [name for name, right, ops_left in page.evaluate(EDGES) if right > ops_left + 1]
        if under:
            hidden[entry] = under
            shot(page, f"fit-{role}-{entry}")
    assert hidden == {}


def test_import_batches_filter_by_scene(page):
    login(page, "sysadmin")
    open_list(page, "导入批次管理")
    scene = page.locator("select[data-filter=resource]")
    expect(scene).to_be_visible()  # in sight, not under 更多筛选
    scene.select_option(label="导入场景：用户导入")
    expect(page).to_have_url(re.compile(r"f_resource=user_imports"))
    expect(rows(page).filter(has_text="房间导入")).to_have_count(0)
    expect(rows(page).first).to_contain_text("用户导入")
    assert set(column(page, 3)) == {"用户导入"}
    shot(page, "import-batches-by-scene")


def test_contract_terms_read_one_clause_a_line(page):
    """合同条款 is typed 每行一条; the detail ran the clauses together in one paragraph."""
    login(page, "sysadmin")
    open_list(page, "项目参数")
    rows(page).filter(has_text="朝阳青年汇").first.get_by_text("查看").click()
    pair = page.locator("#detail-items .clss-detail-pair").filter(has_text="合同条款")
    terms = pair.locator(".clss-detail-value")
    expect(terms).to_contain_text("一、")
    # innerText follows the rendering: a newline there only when the clause starts a line of its own
    assert "\n二、" in terms.inner_text()
    shot(page, "project-params-terms")

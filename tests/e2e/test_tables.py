"""Tables that fit and filters that help (issue 18, items 5 and 6), in Chromium at 1366×768:
the table scrolls sideways inside its card with the first and 操作 columns in sight, headers keep
one line, money sits on the right, states are badges, dates are picked from a Chinese calendar,
a view of one state hides the filters that cannot matter, and 常用筛选 can be saved, applied and deleted."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.app_server import ARTIFACTS
from tests.e2e.conftest import list_ready, login, open_list, shot


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def _scroller(page):
    """The element that scrolls the table sideways (Radix's scroll area inside #admin-table)."""
    return page.locator("#admin-table .rt-ScrollAreaViewport").first


def _assert_fits(page, name: str) -> None:
    """The table is wider than its card: it scrolls inside the card, 操作 and the first column stay in sight."""
    card = _box(page.locator("#admin-list"))
    viewport = page.viewport_size
    assert viewport is not None
    assert card["x"] + card["width"] <= viewport["width"] + 1, (name, card)  # the page itself does not overflow
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] + 1, (name, widths)
    ops = page.locator("#admin-table thead th.clss-ops")
    first = page.locator("#admin-table thead th.clss-sticky-first")
    scroller = _scroller(page)
    overflow = scroller.evaluate("e => e.scrollWidth - e.clientWidth")
    ops_box = _box(ops)
    assert ops_box["x"] + ops_box["width"] <= card["x"] + card["width"] + 1, (name, ops_box, card)
    assert ops_box["x"] >= card["x"], (name, ops_box)
    if overflow > 0:  # scrolled to the far end and back: both sticky columns stay where they were
        before_first = _box(first)["x"]
        scroller.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        page.wait_for_timeout(100)
        assert abs(_box(first)["x"] - before_first) < 2, name
        ops_after = _box(ops)
        assert ops_after["x"] + ops_after["width"] <= card["x"] + card["width"] + 1, name
        scroller.evaluate("e => { e.scrollLeft = 0; }")
        page.wait_for_timeout(100)
        assert abs(_box(ops)["x"] - ops_box["x"]) < 2, name
    return overflow


def _one_line_headers(page) -> None:
    """Every header's text sits on one line (was: 租/客, 费/项, 应收日/期, one character a line)."""
    lines = page.locator("#admin-table thead th.clss-th").evaluate_all(
        "ths => ths.map(th => { const r = document.createRange(); r.selectNodeContents(th);"
        " const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));"
        " return [th.innerText.trim(), tops.size, Math.round(th.getBoundingClientRect().height)]; })"
    )
    assert lines and all(n <= 1 for t, n, _ in lines if t), lines
    assert len({h for _, _, h in lines}) == 1, lines  # one height: one line each


def _column_index(page, header: str) -> int:
    headers = [t.strip() for t in page.locator("#admin-table thead th").all_inner_texts()]
    return headers.index(header) + 1


def test_bills_and_policies_fit_at_1366_with_sticky_columns(browser, base_url):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        login(page, "finance")
        expect(page.locator("#current-role")).to_be_visible()
        open_list(page, "账单管理")
        overflow = _assert_fits(page, "账单管理")
        _one_line_headers(page)
        # Money on the right with tabular digits; a state is a coloured badge.
        n = _column_index(page, "应收金额(元)")
        money = page.locator(f"#admin-table tbody tr:first-child td:nth-child({n})")
        assert money.evaluate("e => getComputedStyle(e).textAlign") == "right"
        assert "tabular-nums" in money.evaluate("e => getComputedStyle(e).fontVariantNumeric")
        n = _column_index(page, "账单状态")
        badge = page.locator(f"#admin-table tbody tr:first-child td:nth-child({n}) .clss-badge")
        expect(badge).to_be_visible()
        assert badge.get_attribute("data-tone") in ("amber", "green", "gray", "red", "blue")
        assert re.fullmatch(
            r"\d{4}-\d{2}-\d{2}",
            page.locator(f"#admin-table tbody tr:first-child td:nth-child({_column_index(page, '应收日期')})")
            .inner_text()
            .strip(),
        )
        shot(page, "tables-bills-1366")
        print(f"账单管理 at 1366: scrolls {overflow}px sideways")

        open_list(page, "保险列表")
        overflow = _assert_fits(page, "保险列表")
        _one_line_headers(page)
        shot(page, "tables-policies-1366")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.wait_for_timeout(200)
        _assert_fits(page, "保险列表 1440")
        shot(page, "tables-policies-1440")
    finally:
        context.close()


def test_date_filter_is_a_chinese_calendar_in_any_browser_language(browser, base_url):
    for locale in ("zh-CN", "en-US"):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url, locale=locale)
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            login(page, "manager")
            expect(page.locator("#current-role")).to_be_visible()
            open_list(page, "账单管理")
            box = page.locator("input[name=f_due_date__gte]")
            if not box.is_visible():
                page.locator("#more-filters").click()
            expect(box).to_be_visible()
            assert box.get_attribute("type") == "text"
            assert "yyyy" in (box.get_attribute("placeholder") or "")
            box.click()
            cal = page.locator("#clss-calendar")
            expect(cal).to_be_visible()
            expect(cal).to_contain_text("年")
            assert "mm/dd/yyyy" not in cal.inner_text().lower()
            shot(page, f"tables-date-picker-{locale}")
            cal.locator("button[data-day$='-01']").first.click()
            expect(cal).to_have_count(0)
            expect(page).to_have_url(re.compile(r"f_due_date__gte=\d{4}-\d{2}-01"))
            list_ready(page, "/finance/bills")
            expect(page.locator("input[name=f_due_date__gte]")).to_have_value(re.compile(r"^\d{4}-\d{2}-01$"))
            if locale == "zh-CN":  # a day that does not exist, typed and Entered: said so, the list as it was
                before = page.url
                end = page.locator("input[name=f_due_date__lte]")
                end.fill("2026-02-31")
                end.press("Enter")
                expect(page.get_by_text("应收日期须为日期，如 2026-01-31")).to_be_visible()
                assert page.url == before
            if locale == "en-US":  # a form's date field: the same calendar, inside the dialog
                open_list(page, "合同列表")
                page.locator("#admin-create").click()
                field = page.locator("#field-start_date")
                expect(field).to_be_visible()
                assert field.get_attribute("type") == "text"
                field.click()
                cal = page.locator("[role=dialog] #clss-calendar")
                expect(cal).to_contain_text("年")
                page.wait_for_timeout(300)
                shot(page, "tables-date-picker-form-en-US")
                cal.locator("button[data-day$='-15']").first.click()
                expect(field).to_have_value(re.compile(r"^\d{4}-\d{2}-15$"))
        finally:
            context.close()


def test_a_view_of_one_state_shows_only_the_filters_that_matter(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    open_list(page, "在线签约审核")
    filters = page.locator("#admin-filters")
    expect(filters).to_be_visible()
    if page.locator("#more-filters").count():
        page.locator("#more-filters").click()
    expect(filters).not_to_contain_text("退房日期")
    assert page.locator("input[name^=f_checked_out_on]").count() == 0
    assert page.locator("[data-filter=state]").count() == 0
    shot(page, "tables-online-review-filters")

    open_list(page, "合同列表")  # the whole list keeps them, three in sight and the rest under 更多筛选
    more = page.locator("#more-filters-panel")
    expect(more).to_be_hidden()
    page.locator("#more-filters").click()
    expect(more).to_be_visible()
    expect(more).to_contain_text("退房日期")


def test_save_apply_and_delete_a_favourite_filter(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    open_list(page, "账单管理")
    page.locator("[data-filter=state]").select_option(label="账单状态：已收款")
    expect(page).to_have_url(re.compile(r"f_state=paid"))
    list_ready(page, "/finance/bills")

    page.locator("#saved-filters").click()
    page.locator("#saved-filter-new").click()
    name = page.locator("#saved-filter-name")
    name.fill("这是一个超过二十个字的常用筛选名称会被拒绝的")
    page.locator("#saved-filter-save").click()
    expect(page.locator("#saved-filter-error")).to_contain_text("不能超过 20 个字")
    name.fill("已收账单")
    page.locator("#saved-filter-save").click()
    expect(page.locator("#saved-filter-name")).to_have_count(0)

    page.reload()  # kept on the server, for this user and this list
    list_ready(page, "/finance/bills")
    page.locator("[data-filter=state]").select_option(value="")
    expect(page).not_to_have_url(re.compile(r"f_state="))
    list_ready(page, "/finance/bills")
    page.locator("#saved-filters").click()
    page.locator("[data-saved-filter='已收账单']").click()
    expect(page).to_have_url(re.compile(r"f_state=paid"))
    list_ready(page, "/finance/bills")
    n = _column_index(page, "账单状态")
    states = {t.strip() for t in page.locator(f"#admin-table tbody td:nth-child({n})").all_inner_texts()}
    assert states == {"已收款"}, states

    page.locator("#saved-filters").click()  # the same name again is refused at the field
    page.locator("#saved-filter-new").click()
    page.locator("#saved-filter-name").fill("已收账单")
    page.locator("#saved-filter-save").click()
    expect(page.locator("#saved-filter-error")).to_contain_text("已有名为")
    page.keyboard.press("Escape")

    page.locator("#saved-filters").click()
    page.locator("[data-saved-delete='已收账单']").click()
    expect(page.locator("[data-saved-filter='已收账单']")).to_have_count(0)


def test_screenshots_of_bills_and_rooms(browser, base_url):
    for w, h in ((1366, 768), (1920, 1080)):
        context = browser.new_context(viewport={"width": w, "height": h}, base_url=base_url, locale="zh-CN")
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            login(page, "manager")
            expect(page.locator("#current-role")).to_be_visible()
            for entry, slug in (("账单管理", "bills"), ("房间管理", "rooms")):
                open_list(page, entry)
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / f"tables-{slug}-{w}x{h}.png"))
        finally:
            context.close()

"""APP管理, 营销工具 and 保险管理 clicked through: banners in each group and their order, the six-
recommendation limit, the home preview, event covers and capacity, flash-sale claims from several
browsers at once, and an insurance plan inheriting its branch."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from clss_app.core import clock
from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user, pick, run, select_row
from tests.images import png


def _when(days: float) -> str:
    """A datetime-local input's value ``days`` from now, on Shanghai's wall clock as the browser's user reads it."""
    return (clock.now().astimezone(clock.SHANGHAI) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _create(page) -> None:
    page.locator("#admin-create").click()
    expect(page.locator("#form-save")).to_be_visible()


def _choose(page, field: str, option: str) -> None:
    page.locator(f"#field-{field}").click()
    page.get_by_role("option", name=option, exact=True).click()


def _new_banner(page, tmp_path, group: str, title: str, link: str, project: str = "", url: str = "") -> None:
    _create(page)
    pick(page, "branch_id", "北京分行")
    _choose(page, "group", group)
    page.locator("#field-city").fill("北京")
    page.locator("#field-title").fill(title)
    image = tmp_path / f"{title}.png"
    image.write_bytes(png(750, 320, (16, 120, 200)))
    page.locator("#upload-image input[type=file]").set_input_files(str(image))
    expect(page.locator("#preview-image")).to_be_visible()
    _choose(page, "link_kind", link)
    if project:
        pick(page, "project_id", project)
    if url:
        page.locator("#field-url").fill(url)
    page.locator("#field-online_from").fill(_when(-1))
    page.locator("#field-online_to").fill(_when(30))
    page.locator("#form-save").click()


def _db(app_db):
    return create_engine(app_db)


def test_banners_in_each_group_their_order_the_limit_and_the_preview(page, app_db, tmp_path):
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    open_list(page, "Banner管理")
    _new_banner(page, tmp_path, "首页Banner", "北京冬季安居节", "网址", url="https://example.com/winter")
    expect(page.get_by_text("已新增：北京冬季安居节")).to_be_visible()
    _new_banner(page, tmp_path, "运营精选", "精选·地铁旁的家", "项目", project="海淀家园")
    expect(page.get_by_text("已新增：精选·地铁旁的家")).to_be_visible()
    with _db(app_db).connect() as conn:
        have = conn.execute(
            text("SELECT COUNT(*) FROM banner WHERE \"group\" = 'recommend' AND city = '北京' AND enabled")
        ).scalar_one()
    for k in range(6 - have):
        _new_banner(page, tmp_path, "首页推荐", f"推荐朝阳{k}", "项目", project="朝阳青年汇")
        expect(page.get_by_text(f"已新增：推荐朝阳{k}")).to_be_visible()
    # The seventh is refused next to the city, and nothing is written.
    _new_banner(page, tmp_path, "首页推荐", "第七个推荐", "项目", project="朝阳青年汇")
    expect(page.locator("#error-city")).to_contain_text("首页推荐已有 6 个，最多 6 个")
    shot(page, "banner-seventh-refused")
    page.keyboard.press("Escape")
    with _db(app_db).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM banner WHERE title = '第七个推荐'")).scalar_one() == 0

    # Reorder 运营精选: the new one moves up, above the demo's.
    page.locator("select[data-filter=group]").select_option(label="所属分组：运营精选")
    titles = lambda: [t.strip() for t in page.locator("#admin-table tbody tr td:nth-child(5)").all_inner_texts()]  # noqa: E731
    expect(rows(page).last).to_contain_text("精选·地铁旁的家")
    before = titles()
    select_row(page, "精选·地铁旁的家")
    run(page, "move_up")
    expect(page.get_by_text("上移成功 1 条")).to_be_visible()
    expect(rows(page).nth(len(before) - 2)).to_contain_text("精选·地铁旁的家")
    assert titles() == before[:-2] + [before[-1], before[-2]]
    shot(page, "banner-reordered")

    # The APP home page of Beijing now: the new home banner, the new featured card, six recommendations.
    page.get_by_role("link", name="APP首页预览").click()
    page.locator("#preview-city").select_option("北京")
    expect(page.locator("#preview-home")).to_contain_text("https://example.com/winter")
    expect(page.locator("#preview-featured")).to_contain_text("精选·地铁旁的家")
    expect(page.locator("#preview-recommend img")).to_have_count(6)
    expect(page.locator("#preview-home")).not_to_contain_text("国庆特惠")  # past its window
    shot(page, "app-home-preview")


def test_a_store_assistant_cannot_open_or_write_banners(browser, base_url):
    a = as_user(browser, base_url, "assistant")
    try:
        a.goto("/app/banners")
        expect(a.locator("#forbidden")).to_be_visible()
        expect(a.get_by_role("link", name="Banner管理")).to_have_count(0)
        # The list event itself refuses too (the server checks, not the menu).
        a.goto("/app/banners?new=1")
        expect(a.locator("#forbidden")).to_be_visible()
        expect(a.locator("#form-save")).to_have_count(0)
    finally:
        a.context.close()


def test_event_cover_ratio_and_capacity(page, app_db, tmp_path):
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    open_list(page, "活动管理")
    _create(page)
    pick(page, "project_id", "朝阳青年汇")
    page.locator("#field-name").fill("租客篮球友谊赛")
    page.locator("#field-starts_at").fill(_when(10))
    page.locator("#field-ends_at").fill(_when(10.2))
    page.locator("#field-address").fill("朝阳青年汇篮球场")
    page.locator("#field-capacity").fill("20")
    page.locator("#field-hotline").fill("010-66668888")
    wrong, right = tmp_path / "wrong.png", tmp_path / "right.png"
    wrong.write_bytes(png(600, 400))
    right.write_bytes(png(670, 320))
    page.locator("#upload-cover input[type=file]").set_input_files(str(wrong))
    expect(page.locator("#error-cover")).to_have_text("封面图宽高比须为 335:160（当前 600×400）")
    page.locator("#upload-cover input[type=file]").set_input_files(str(right))
    expect(page.locator("#preview-cover")).to_be_visible()
    page.locator("#form-save").click()
    expect(page.get_by_text("已新增：租客篮球友谊赛")).to_be_visible()

    # The demo's salon is full: one more sign-up is refused by name, the count stays.
    with _db(app_db).connect() as conn:
        name, cap = conn.execute(
            text("SELECT name, capacity FROM event WHERE signed_up >= capacity ORDER BY id LIMIT 1")
        ).one()
    open_list(page, "报名管理")
    _create(page)
    pick(page, "event_id", name)
    page.locator("#field-name").fill("晚到的租客")
    page.locator("#field-phone").fill("13911112222")
    page.locator("#form-save").click()
    expect(page.locator("#error-event_id")).to_have_text(f"活动名额已满（限 {cap} 人）")
    shot(page, "event-full")
    page.keyboard.press("Escape")
    with _db(app_db).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM event_signup WHERE phone = '13911112222'")).scalar_one() == 0
        assert conn.execute(text("SELECT signed_up FROM event WHERE name = :n"), {"n": name}).scalar_one() == cap


def test_parallel_flash_sale_claims_from_four_browsers_never_pass_the_stock(browser, base_url, app_db):
    with _db(app_db).begin() as conn:
        sale_id, title = conn.execute(text("SELECT id, title FROM flash_sale WHERE project_id = 1")).one()
        conn.execute(text("UPDATE flash_sale SET stock = sold + 2 WHERE id = :i"), {"i": sale_id})
        sold = conn.execute(text("SELECT sold FROM flash_sale WHERE id = :i"), {"i": sale_id}).scalar_one()
    clerks = [as_user(browser, base_url, user) for user in ("manager", "assistant", "manager", "assistant")]
    try:
        for k, c in enumerate(clerks):  # each one up to the last click
            go(c, "/marketing/flash-sales")
            select_row(c, title)
            c.locator("#action-claim").click()
            c.locator("#input-name").fill(f"抢购者{k}")
            c.locator("#input-phone").fill(f"1880000{k:04d}")
        for c in clerks:  # then all four at once
            c.locator("#confirm-ok").dispatch_event("click")
        for c in clerks:
            expect(c.get_by_text("代客抢购成功").first).to_be_visible()
        got = [c.get_by_text("代客抢购成功 1 条").count() for c in clerks]
        shot(clerks[0], "flash-sale-claims")
    finally:
        for c in clerks:
            c.context.close()
    assert sum(got) == 2
    with _db(app_db).connect() as conn:
        assert conn.execute(text("SELECT sold - stock FROM flash_sale WHERE id = :i"), {"i": sale_id}).scalar_one() == 0
        assert (
            conn.execute(text("SELECT COUNT(*) FROM flash_claim WHERE flash_sale_id = :i"), {"i": sale_id}).scalar_one()
            == sold + 2
        )


def test_a_second_insurance_plan_inherits_the_first_plans_branch(page, app_db):
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    open_list(page, "项目保险")

    def new_plan(product, mode, branch=None, cover=None):
        _create(page)
        pick(page, "project_id", "海淀悦居")
        pick(page, "product_id", product)
        _choose(page, "mode", mode)
        if cover:
            pick(page, "gift_cover_id", cover, f"{cover}（{product}）")
        for field, value in (branch or {}).items():
            page.locator(f"#field-{field}").fill(value)
        page.locator("#form-save").click()

    new_plan("安心家财险", "可购买")
    expect(page.locator("#error-branch_name")).to_have_text("该项目的首个保险方案须填写分行信息")
    for field, value in {
        "branch_name": "人保财险北京分公司",
        "branch_code": "PICC-BJ-07",
        "branch_contact": "010-95518",
    }.items():
        page.locator(f"#field-{field}").fill(value)
    page.locator("#form-save").click()
    expect(page.get_by_text("已新增")).to_be_visible()
    new_plan("押金无忧险", "首次租房赠送", branch={"branch_name": "另一家分行"}, cover="一个月押金")
    expect(page.get_by_text("已沿用该项目首个保险方案的分行信息：人保财险北京分公司（PICC-BJ-07）")).to_be_visible()
    page.locator("select[data-filter=project_id]").select_option(label="项目：海淀悦居")
    expect(rows(page)).to_have_count(2)
    for r in range(2):
        expect(rows(page).nth(r)).to_contain_text("人保财险北京分公司")
    shot(page, "insurance-plans-inherit")
    # Changing it on one plan is refused with how to do it instead.
    rows(page).first.get_by_text("编辑").click()
    page.locator("#field-branch_name").fill("改名分公司")
    page.locator("#form-save").click()
    expect(page.locator("#error-branch_name")).to_contain_text("请先删除该项目的全部保险方案")


LISTS = [  # (login, menu entry, text its demo rows show)
    ("manager", "优惠券", "免租7天"),
    ("manager", "秒杀记录", "限时秒杀"),
    ("manager", "砍价活动", "好友助力砍租金"),
    ("manager", "砍价记录", "砍价成功"),
    ("manager", "消息通知", "停水检修通知"),
    ("assistant", "评价反馈", "朝阳青年汇"),
    ("sysadmin", "保险产品", "安心家财险"),
    ("sysadmin", "保额档位", "一个月押金"),
    ("sysadmin", "保险附加信息", "理赔电话"),
    ("sysadmin", "系统反馈", "希望账单支持按楼栋导出"),
    ("finance", "保险列表", "保障中"),
    ("principal", "保险列表", "押金无忧险"),
]


def test_each_new_list_opens_from_the_menu_with_its_rows_and_details(browser, base_url):
    for user in dict.fromkeys(u for u, _, _ in LISTS):
        p = as_user(browser, base_url, user)
        try:
            for _, entry, shown in (row for row in LISTS if row[0] == user):
                open_list(p, entry)
                expect(p.locator("#admin-table")).to_contain_text(shown)
                rows(p).filter(has_text=shown).first.get_by_text("查看").click()
                expect(p.locator("#detail-items")).to_contain_text(shown)
                p.keyboard.press("Escape")
            shot(p, f"marketing-lists-{user}")
        finally:
            p.context.close()


def test_coupon_and_notification_rules_and_withdrawing(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    open_list(page, "优惠券")
    _create(page)
    pick(page, "company_id", "京安居", "京安居住房租赁有限公司")
    page.locator("#field-name").fill("新签立减")
    _choose(page, "kind", "满减券")
    page.locator("#field-valid_from").fill("2026-12-01")
    page.locator("#field-valid_to").fill("2026-11-01")
    page.locator("#field-stock").fill("100")
    page.locator("#form-save").click()
    expect(page.locator("#error-amount")).to_have_text("满减券请填写减免金额")
    expect(page.locator("#error-valid_to")).to_have_text("有效期止不能早于有效期起")
    page.keyboard.press("Escape")

    open_list(page, "消息通知")
    _create(page)
    pick(page, "company_id", "京安居", "京安居住房租赁有限公司")
    page.locator("#field-title").fill("电梯检修")
    page.locator("#field-body").fill("周六上午电梯检修。")
    _choose(page, "audience", "指定租客")
    _choose(page, "channel", "短信")
    page.locator("#field-scheduled_at").fill(_when(2))
    page.locator("#form-save").click()
    expect(page.locator("#error-tenants")).to_have_text("发送给指定租客时请至少选择一位租客")
    shot(page, "notification-needs-tenants")
    page.keyboard.press("Escape")
    select_row(page, "停水检修通知")
    run(page, "withdraw")
    expect(page.get_by_text("撤回成功 1 条")).to_be_visible()
    expect(rows(page).filter(has_text="停水检修通知")).to_contain_text("已撤回")
    select_row(page, "停水检修通知")  # 已撤回: 撤回 no longer applies, and the bar says so
    expect(page.locator("#selection-count")).to_have_text("已选 1 条")
    expect(page.locator("#action-withdraw")).to_have_count(0)
    expect(page.locator("#bulk-hint")).to_have_text("所选记录当前没有可执行的操作")

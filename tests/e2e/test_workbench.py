"""工作台 房态图: batch lock and unlock, refusals, and two users at once."""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from models import Room, RoomStatus
from tests.e2e.conftest import CLUSTER, REDIS, login, shot


def _open_board(page, username, role):
    login(page, username)
    expect(page.locator("#current-role")).to_have_text(role)
    page.get_by_role("link", name="房态图").click()
    expect(page.locator("#board .clss-tile").first).to_be_visible()


def _tiles(page, status):
    return page.locator(f"#board .clss-tile[data-status={status}]")


def _lock_selected(page, reason):
    page.locator("#board-lock").click()
    page.locator("#lock-reason").fill(reason)
    page.locator("#lock-ok").click()


def _batch(page, target_label):
    page.locator("#board-mode").get_by_role("radio", name="批量选择").click()
    page.locator("#board-target").get_by_role("radio", name=target_label).click()


def _lock_one(page, room, reason, timeout=None):
    _batch(page, "空闲可租 → 锁定")
    page.locator(f"#board .clss-tile[data-room='{room}']").click()
    _lock_selected(page, reason)
    expect(page.get_by_text("锁定成功 1 间")).to_be_visible(timeout=timeout)


def _room(app_db, number):
    with Session(create_engine(app_db)) as s:
        return s.exec(select(Room).where(Room.project_id == 1, Room.number == number)).one()


def test_batch_lock_five_then_unlock_three(page, app_db):
    _open_board(page, "manager", "店长")
    expect(page.locator("#board-project")).to_have_value("1")
    shot(page, "workbench-board")
    _batch(page, "空闲可租 → 锁定")
    # A room that is not vacant cannot be chosen for locking.
    _tiles(page, "occupied").first.click()
    expect(page.get_by_text("批量锁定只能选择空闲可租的房间")).to_be_visible()
    numbers = [_tiles(page, "vacant").nth(i).get_attribute("data-room") for i in range(5)]
    for n in numbers:
        page.locator(f"#board .clss-tile[data-room='{n}']").click()
    expect(page.locator("#board-selected")).to_contain_text("5")
    page.locator("#board-lock").click()
    page.locator("#lock-kind").get_by_text("事务锁定").click()
    page.locator("#lock-ok").click()
    expect(page.locator("#lock-error")).to_have_text("请填写锁定原因")
    page.locator("#lock-reason").fill("维修：统一更换门锁")
    shot(page, "workbench-lock-dialog")
    page.locator("#lock-ok").click()
    expect(page.get_by_text("锁定成功 5 间")).to_be_visible()
    for n in numbers:
        expect(page.locator(f"#board .clss-tile[data-room='{n}']")).to_have_attribute("data-status", "locked")
        expect(page.locator(f"#board .clss-tile[data-room='{n}']")).to_contain_text("事务锁定")

    _batch(page, "不可租 → 解锁")
    for n in numbers[:3]:
        page.locator(f"#board .clss-tile[data-room='{n}']").click()
    page.locator("#board-unlock").click()
    expect(page.get_by_text("解锁成功 3 间")).to_be_visible()
    shot(page, "workbench-after-unlock")
    with Session(create_engine(app_db)) as s:
        states = {
            r.number: r.status for r in s.exec(select(Room).where(Room.number.in_(numbers), Room.project_id == 1))
        }
    assert [states[n] for n in numbers] == [RoomStatus.VACANT] * 3 + [RoomStatus.LOCKED] * 2

    # The room's panel shows the lock and its history.
    page.locator("#board-mode").get_by_role("radio", name="单个选择").click()
    page.locator(f"#board .clss-tile[data-room='{numbers[4]}']").click()
    expect(page.locator("#panel-lock")).to_contain_text("事务锁定：维修：统一更换门锁")
    expect(page.locator("#room-panel")).to_contain_text("空闲可租 → 不可租")
    shot(page, "workbench-panel")


def test_two_users_lock_overlapping_rooms(page, browser, base_url, app_db):
    _open_board(page, "manager", "店长")
    other = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url).new_page()
    _open_board(other, "multistore", "多店店长")
    expect(other.locator("#board-project")).to_have_value("1")
    vacant = [_tiles(page, "vacant").nth(i).get_attribute("data-room") for i in range(2)]

    # Both pick the same two rooms; the other user locks one of them first.
    _batch(page, "空闲可租 → 锁定")
    for n in vacant:
        page.locator(f"#board .clss-tile[data-room='{n}']").click()
    expect(page.locator("#board-selected")).to_contain_text("2")
    _batch(other, "空闲可租 → 锁定")
    other.locator(f"#board .clss-tile[data-room='{vacant[1]}']").click()
    _lock_selected(other, "内部使用")
    expect(other.get_by_text("锁定成功 1 间")).to_be_visible()

    _lock_selected(page, "保洁")
    expect(
        page.get_by_text(re.compile(rf"锁定成功 1 间，未锁定 1 间（{re.escape(vacant[1])}：当前为不可租"))
    ).to_be_visible()
    # The first board follows the other user's change without a reload.
    expect(page.locator(f"#board .clss-tile[data-room='{vacant[1]}']")).to_have_attribute("data-status", "locked")
    assert _room(app_db, vacant[1]).lock_reason == "内部使用"
    other.context.close()


def test_board_follows_changes_made_elsewhere(page, app_db):
    _open_board(page, "manager", "店长")
    first = _tiles(page, "vacant").first.get_attribute("data-room")
    with Session(create_engine(app_db)) as s:
        room = s.exec(select(Room).where(Room.project_id == 1, Room.number == first)).one()
        room.status, room.version = RoomStatus.RESERVED, room.version + 1
        s.add(room)
        s.commit()
    expect(page.locator(f"#board .clss-tile[data-room='{first}']")).to_have_attribute(
        "data-status", "reserved", timeout=12_000
    )


def test_another_company_cannot_open_this_board(page):
    login(page, "store3")
    expect(page.locator("#current-role")).to_have_text("店长")
    page.goto("/workbench?project=1")
    expect(page.locator("#board .clss-tile").first).to_be_visible()
    expect(page.locator("#board-project")).not_to_have_value("1")
    expect(page.locator("#board-project option[value='1']")).to_have_count(0)


def test_marks_match_the_contracts_and_the_panel_leads_into_the_flows(page, app_db):
    from datetime import timedelta

    import sqlalchemy as sa

    engine = create_engine(app_db)
    today = clock.today()  # the app's business day
    with engine.connect() as c:  # independently of the service: plain SQL over contracts and bills
        expiring = set(
            c.execute(
                sa.text(
                    "SELECT r.number FROM contract k JOIN room r ON r.id = k.room_id WHERE k.project_id = 1 "
                    "AND k.state IN ('signed', 'active') AND k.end_date <= :d"
                ),
                {"d": today + timedelta(days=30)},
            ).scalars()
        )
        arrears = set(
            c.execute(
                sa.text(
                    "SELECT DISTINCT r.number FROM bill b JOIN room r ON r.id = b.room_id WHERE b.project_id = 1 "
                    "AND b.state IN ('confirmed', 'partly_paid') AND b.due_date < :d"
                ),
                {"d": today},
            ).scalars()
        )
        pair = c.execute(
            sa.text(
                "SELECT r.number FROM contract k JOIN room r ON r.id = k.room_id WHERE k.project_id = 1 "
                "AND k.state = 'active' AND k.co_tenants != '' LIMIT 1"
            )
        ).scalar_one()
    assert expiring and arrears
    _open_board(page, "manager", "店长")
    expect(page.locator("#board-mark-expiring")).to_contain_text(str(len(expiring)))
    expect(page.locator("#board-mark-arrears")).to_contain_text(str(len(arrears)))
    shown_exp = set(page.locator("#board .clss-tile.m-exp").evaluate_all("els => els.map(e => e.dataset.room)"))
    shown_debt = set(page.locator("#board .clss-tile.m-debt").evaluate_all("els => els.map(e => e.dataset.room)"))
    assert (shown_exp, shown_debt) == (expiring, arrears)
    expect(page.locator(f"#board .clss-tile.p2[data-room='{pair}']")).to_have_count(1)
    debtor = sorted(arrears)[0]
    page.locator(f"#board .clss-tile[data-room='{debtor}']").click()
    expect(page.locator("#panel-lease")).to_contain_text("欠费")
    page.wait_for_timeout(500)  # the drawer slides in
    shot(page, "workbench-marks-and-panel")
    page.keyboard.press("Escape")

    # A vacant room's panel → 预定: the reservation form opens with the room filled in.
    room = _tiles(page, "vacant").last.get_attribute("data-room")
    page.locator(f"#board .clss-tile[data-room='{room}']").click()
    page.locator("[data-flow='预定']").click()
    expect(page.locator("#fk-room_id")).to_contain_text(room)
    page.locator("#fk-tenant_id").click()
    page.locator("[data-fk-search=tenant_id]").fill("")
    page.locator("[data-option]").first.click()
    page.locator("#field-deposit").fill("800")
    page.locator("#field-hold_until").fill(str(today + timedelta(days=3)))
    page.locator("#form-save").click()
    expect(page.get_by_text("已新增")).to_be_visible()
    page.get_by_role("link", name="房态图").click()
    expect(page.locator(f"#board .clss-tile[data-room='{room}']")).to_have_attribute("data-status", "reserved")


def _node(page) -> str:
    return page.locator("[data-node]").first.get_attribute("data-node")


@pytest.mark.skipif(not CLUSTER, reason="several workers run in the test command's PostgreSQL + Redis pass")
def test_sessions_on_different_workers_see_each_others_locks(page, browser, base_url, app_db):
    _open_board(page, "manager", "店长")
    mine = _node(page)
    # A new browser lands on whichever worker accepts its connection: open them until one is elsewhere.
    for _ in range(12):
        other = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url).new_page()
        _open_board(other, "multistore", "多店店长")
        if _node(other) != mine:
            break
        other.context.close()
    else:
        pytest.fail(f"12 browsers all served by {mine}: several workers are not running")
    expect(other.locator("#board-project")).to_have_value("1")
    room = _tiles(page, "vacant").first.get_attribute("data-room")

    _lock_one(page, room, "跨节点锁定")
    # The other worker's browser shows the lock without a reload, and unlocks it.
    tile = other.locator(f"#board .clss-tile[data-room='{room}']")
    expect(tile).to_have_attribute("data-status", "locked", timeout=15_000)
    _batch(other, "不可租 → 解锁")
    tile.click()
    other.locator("#board-unlock").click()
    expect(other.get_by_text("解锁成功 1 间")).to_be_visible()
    expect(page.locator(f"#board .clss-tile[data-room='{room}']")).to_have_attribute(
        "data-status", "vacant", timeout=15_000
    )
    shot(other, "workbench-other-worker")
    assert _node(page) == mine and _node(other) != mine
    unlocked = _room(app_db, room)
    assert unlocked.status == RoomStatus.VACANT and unlocked.lock_reason in (None, "")
    other.context.close()


@pytest.mark.skipif(not CLUSTER, reason="several workers run in the test command's PostgreSQL + Redis pass")
def test_a_tab_whose_worker_dies_carries_on_without_a_reload(page, app_db):
    import os
    import signal

    _open_board(page, "manager", "店长")
    node = _node(page)
    room = _tiles(page, "vacant").first.get_attribute("data-room")
    os.kill(int(node.rsplit(":", 1)[1]), signal.SIGKILL)
    # The page reconnects to a live worker by itself (which checks the page again and says so in
    # the header); the user just goes on working.
    expect(page.locator("[data-node]").first).not_to_have_attribute("data-node", node, timeout=30_000)
    _lock_one(page, room, "节点故障后锁定", timeout=30_000)
    locked = _room(app_db, room)
    assert locked.status == RoomStatus.LOCKED and locked.lock_reason == "节点故障后锁定"


@pytest.mark.skipif(not CLUSTER, reason="tab states live in Redis in the test command's PostgreSQL + Redis pass")
def test_a_tab_whose_state_redis_lost_comes_back_by_itself(page, app_db):
    import redis

    _open_board(page, "manager", "店长")
    expect(page).to_have_url(re.compile(r"/workbench"))
    page.evaluate("window.__before_loss = true")
    # Redis crashed without its data: every tab state gone, this browser's login token kept.
    redis.Redis.from_url(REDIS).flushall()
    # The tab's next event finds no state: it goes through the login page (a page load hands the
    # browser's token to the server again) and comes back to the board, still logged in.
    page.wait_for_function(
        "() => window.__before_loss === undefined && location.pathname === '/workbench'", timeout=30_000
    )
    expect(page.locator("#board .clss-tile").first).to_be_visible()
    expect(page.locator("#current-role")).to_have_text("店长")
    room = _tiles(page, "vacant").first.get_attribute("data-room")
    _lock_one(page, room, "缓存丢失后锁定")
    shot(page, "workbench-after-redis-loss")
    locked = _room(app_db, room)
    assert locked.status == RoomStatus.LOCKED and locked.lock_reason == "缓存丢失后锁定"

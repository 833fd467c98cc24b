"""The pages under their Content-Security-Policy, cross-origin sockets refused, chart text escaped."""

import re

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import Contract, ContractState, Room, UnitType
from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows

EVIL = '<a href="//ev.il">clk</a>'


def _watch_csp(page) -> list[str]:
    """Every CSP violation the page reports (the browser's own event, and its console line)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return seen


def test_pages_work_under_the_csp(page):
    violations = _watch_csp(page)
    response = page.goto("/login")
    headers = response.all_headers()
    assert "'unsafe-inline'" not in re.search(r"script-src[^;]*", headers["content-security-policy"]).group(0)
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    open_list(page, "合同列表")
    page.locator("#admin-search").fill("HT")
    page.locator("#admin-search").press("Enter")
    expect(page.locator("#admin-table")).to_be_visible()
    assert page.evaluate("window.__clssPopstate") is True  # the list's page script ran (from its file)
    page.goto("/analytics")
    expect(page.locator("#chart-rent .main-svg").first).to_be_visible(timeout=30_000)
    page.goto("/workbench")
    expect(page.locator(".clss-tile").first).to_be_visible()
    assert violations == []


def test_a_socket_from_another_origin_is_refused(page, base_url):
    page.goto("/login")
    other = base_url.replace("127.0.0.1", "localhost").replace("http", "ws")  # same server, another origin
    outcome = page.evaluate(
        """url => new Promise(done => {
        const ws = new WebSocket(url + '/_event/?EIO=4&transport=websocket');
        ws.onopen = () => done('open'); ws.onerror = () => done('refused');
    })""",
        other,
    )
    assert outcome == "refused"
    own = base_url.replace("http", "ws")
    assert (
        page.evaluate(
            """url => new Promise(done => {
        const ws = new WebSocket(url + '/_event/?EIO=4&transport=websocket');
        ws.onopen = () => { ws.close(); done('open'); }; ws.onerror = () => done('refused');
    })""",
            own,
        )
        == "open"
    )


def test_a_unit_type_named_like_a_link_shows_as_text_on_the_dashboard(page, app_db):
    with Session(create_engine(app_db)) as s:
        name, project = s.exec(
            select(UnitType.name, UnitType.project_id)
            .join(Room, Room.unit_type_id == UnitType.id)
            .join(Contract, Contract.room_id == Room.id)
            .where(Contract.state == ContractState.ACTIVE)
            .order_by(UnitType.id)
        ).first()
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    open_list(page, "户型管理")
    go(page, f"/housing/unit-types?f_project_id={project}&q={name}")
    rows(page).first.get_by_text("编辑").click()
    page.locator("#field-name").fill(EVIL)
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    page.goto("/analytics")
    chart = page.locator("#chart-rent")
    expect(chart.get_by_text(EVIL).first).to_be_visible(timeout=30_000)  # the name as typed, on the axis
    assert chart.locator("a").count() == 0
    chart.scroll_into_view_if_needed()
    box = chart.locator(".bars path").first.bounding_box()  # (Plotly's drag layer takes the pointer)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".hoverlayer").get_by_text(EVIL, exact=False).first).to_be_visible()
    assert page.locator(".hoverlayer a").count() == 0
    shot(page, "security-chart-escaped")

"""Where a page's time goes: the stages of a cold URL open, a menu click and a record's detail.

    source scripts/setup.sh && python -m benchmarks.cold_profile [--runs 5]

On benchmarks.speed's database (1M bills, the demo), the app in prod mode, in Chromium. Every stage is
read on the page's own clock (``performance.now()``): the websocket's frames are stamped by a listener
added when the socket is made, before the app's own handler sees them. For each scenario, medians in ms
from its start (the navigation's start, or the click):

- the HTML's response and DOMContentLoaded (cold opens);
- the socket opened, each event sent and each update received, with its size;
- the rows (or the detail) painted.
The server's share is an update's arrival less its event's sending; what follows the last update is the
browser's rendering. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict

from benchmarks.app import CHROMIUM_ARGS, running_app
from benchmarks.engine_list import bench_database
from benchmarks.speed import DETAIL, LIST_OF, _login

STAMP_FRAMES = """(() => {
    window.__ws = [];
    const Native = window.WebSocket;
    window.WebSocket = function (...args) {
        const ws = new Native(...args);
        window.__ws.push(['made', performance.now(), 0]);
        ws.addEventListener('open', () => window.__ws.push(['open', performance.now(), 0]));
        ws.addEventListener('message', e => window.__ws.push(['in', performance.now(), String(e.data).length]));
        const send = ws.send.bind(ws);
        ws.send = d => { window.__ws.push(['out', performance.now(), String(d).length]); return send(d); };
        return ws;
    };
    window.WebSocket.prototype = Native.prototype;
    Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();"""

STAGES = """t0 => {
    const out = {}; let sent = 0, got = 0;
    for (const [kind, at, size] of window.__ws) {
        if (at < t0) continue;
        const t = at - t0;
        if (kind === 'made') out['socket made'] ??= t;
        else if (kind === 'open') out['socket open'] ??= t;
        else if (kind === 'out' && size > 2) { sent += 1; out[`event ${sent} sent`] = t; }
        else if (kind === 'in' && size > 2) {
            got += 1; out[`update ${got} in`] = t; out[`update ${got} (KB)`] = size / 1024;
        }
    }
    const n = performance.getEntriesByType('navigation')[0];
    if (t0 === 0 && n) { out['html'] = n.responseEnd; out['DOMContentLoaded'] = n.domContentLoadedEventEnd; }
    return out;
}"""


def _stages(page, t0: float, painted: float) -> dict[str, float]:
    out = page.evaluate(STAGES, t0)
    out["painted"] = painted - t0
    return out


def cold(page, url: str, route: str) -> dict[str, float]:
    page.goto(url, wait_until="commit")
    painted = page.wait_for_function(f"arg => ({LIST_OF})(arg) ? performance.now() : false", arg=route, polling="raf")
    return _stages(page, 0.0, float(painted.json_value()))


def clicked(page, locator, done: str, arg=None) -> dict[str, float]:
    page.wait_for_timeout(300)
    page.evaluate(
        "() => { window.__t0 = null; document.addEventListener('pointerdown',"
        " () => { window.__t0 = performance.now(); }, {capture: true, once: true}); }"
    )
    locator.click()
    painted = page.wait_for_function(
        f"arg => window.__t0 !== null && ({done})(arg) ? performance.now() : false", arg=arg, polling="raf"
    )
    return _stages(page, float(page.evaluate("() => window.__t0")), float(painted.json_value()))


def report(title: str, runs: list[dict[str, float]]) -> None:
    keys: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        for k, v in r.items():
            keys[k].append(v)
    print(f"\n{title}, {len(runs)} runs (ms from the start unless noted)")
    timed = sorted((k for k in keys if "(" not in k), key=lambda k: statistics.median(keys[k]))
    for k in timed + [k for k in keys if "(" in k]:
        v = keys[k]
        print(f"  {k:22} {statistics.median(v):8.1f}   min {min(v):7.1f}  max {max(v):7.1f}")


def main() -> int:
    args, db_path = bench_database(argparse.ArgumentParser(), runs=5)
    from playwright.sync_api import sync_playwright

    with running_app(db_path, REFLEX_APP_MODULE_IMPORT="benchmarks.bench_app") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(30_000)
        page.add_init_script(STAMP_FRAMES)
        _login(page, base, "super")
        cold(page, f"{base}/bench/bills", "/bench/bills")  # warm-up
        report(
            "cold open of /bench/bills (1M rows) as super",
            [cold(page, f"{base}/bench/bills", "/bench/bills") for _ in range(args.runs)],
        )
        page.context.clear_cookies()
        page.goto(f"{base}/login")
        page.evaluate("() => localStorage.clear()")
        _login(page, base, "manager")
        nav = page.get_by_role("navigation")
        menu, detail = [], []
        for _ in range(args.runs + 1):
            for entry, route in (("合同列表", "/contracts"), ("账单管理", "/finance/bills")):
                menu.append(clicked(page, nav.get_by_role("link", name=entry, exact=True), LIST_OF, route))
            view = page.locator("#admin-table tbody tr").first.get_by_text("查看")
            detail.append(clicked(page, view, DETAIL))
            page.keyboard.press("Escape")
        report("menu click to another list (合同列表, 账单管理) as 店长", menu[2:])
        report("查看 to the detail (账单) as 店长", detail[1:])
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

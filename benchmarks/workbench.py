"""房态图 benchmark: a project of 5,000 rooms, timed in Chromium.

    source scripts/setup.sh && python -m benchmarks.workbench [--runs 5]

Prints (a) the time from choosing the project to its 5,000 tiles painted,
and (b) the time from confirming a lock of 500 selected rooms to all 500
tiles repainted as 不可租. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from benchmarks.app import CHROMIUM_ARGS, running_app

BIG = "压测公寓"


def prepare(db_path: Path) -> None:
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{db_path}"
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db, demo, manage
    from models import Building, Floor, Project, ProjectKind, Room, User, UserProject

    manage.migrate()
    demo.generate()
    with db.session_scope() as s:
        manager = s.exec(select(User).where(User.username == "manager")).one()
        project = Project(name=BIG, company_id=manager.org_unit_id, city="北京", kind=ProjectKind.CENTRALIZED)
        s.add(project)
        s.flush()
        s.add(UserProject(user_id=manager.id, project_id=project.id))
        rows = []
        for b in range(1, 11):  # 10 buildings x 10 floors x 50 rooms
            building = Building(project_id=project.id, name=f"{b:02d}号楼")
            s.add(building)
            s.flush()
            for f in range(1, 11):
                floor = Floor(building_id=building.id, number=f)
                s.add(floor)
                s.flush()
                rows += [
                    dict(
                        project_id=project.id,
                        building_id=building.id,
                        floor_id=floor.id,
                        floor_no=f,
                        number=f"{b}-{f}{r:02d}",
                        area=Decimal(30),
                        rent=Decimal(3000),
                        deposit=Decimal(3000),
                        status="vacant" if b <= 5 else "occupied",
                    )
                    for r in range(1, 51)
                ]
        s.execute(sa.insert(Room), rows)


def run(base: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out = {"board": [], "lock": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(60_000)
        page.goto(f"{base}/login")
        page.fill("#username", "manager")
        page.fill("#password", "Clss@2026")
        page.click("#login-submit")
        page.wait_for_selector("#current-role")
        page.goto(f"{base}/workbench")
        page.wait_for_selector("#board .clss-tile")
        big = page.locator("#board-project option", has_text=BIG).get_attribute("value")
        first = page.locator("#board-project").input_value()
        for i in range(runs):
            page.select_option("#board-project", first)
            page.wait_for_function("document.querySelectorAll('#board .clss-tile').length < 5000")
            page.wait_for_timeout(500)
            t0 = page.evaluate("performance.now()")
            page.select_option("#board-project", big)
            page.wait_for_function("document.querySelectorAll('#board .clss-tile').length === 5000", polling="raf")
            out["board"].append(page.evaluate("performance.now()") - t0)

            # Lock the 500 rooms of one building (all vacant), then unlock them for the next run.
            page.select_option("#board-building", f"{i % 5 + 1:02d}号楼")
            page.wait_for_function("document.querySelectorAll('#board .clss-tile').length === 500")
            page.locator("#board-mode").get_by_role("radio", name="批量选择").click()
            page.locator("#board-target").get_by_role("radio", name="空闲可租 → 锁定").click()
            page.locator("#board-select-all").click()
            page.wait_for_function("document.getElementById('board-selected').textContent.includes('500')")
            page.locator("#board-lock").click()
            page.fill("#lock-reason", "压测")
            page.wait_for_timeout(300)  # the user reads the dialog before confirming
            t0 = page.evaluate("performance.now()")
            page.locator("#lock-ok").click()
            page.wait_for_function(
                "document.querySelectorAll('#board .clss-tile[data-status=locked]').length === 500", polling="raf"
            )
            out["lock"].append(page.evaluate("performance.now()") - t0)
            page.locator("#board-mode").get_by_role("radio", name="单个选择").click()
        browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clss-board-bench-"))
    db_path = folder / "bench.db"
    prepare(db_path)
    with running_app(db_path) as base:
        figures = run(base, args.runs)
    print(f"\nCLSS 房态图 benchmark: a project of 5,000 rooms, Chromium, {args.runs} runs")
    labels = {"board": "choose the project -> 5,000 tiles painted", "lock": "confirm lock of 500 rooms -> repainted"}
    for key, values in figures.items():
        print(
            f"{labels[key]:48} median {statistics.median(values):6.0f} ms   min {min(values):6.0f}   "
            f"max {max(values):6.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Room import and export benchmark (房源管理).

    source scripts/setup.sh && python -m benchmarks.housing_io

On a fresh demo database (in a temporary folder) it times, as a principal:
import of 10,000 rooms from an .xlsx file with full validation (read, dry
run, commit as one batch) and export of 100,000 rooms to .xlsx in the import
template's format. Prints figures; not part of the test suite.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="clss-housing-bench-"))
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    import polars as pl
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db, demo, manage
    from clss_app.admin import io as admin_io
    from clss_app.admin.query import ListQuery
    from clss_app.services.permissions import load_principal
    from models import Building, Floor, Project, ProjectKind, Room, User
    from pages.housing import RoomAdmin

    manage.migrate()
    demo.generate()
    with db.session_scope() as s:
        principal = s.exec(select(User).where(User.username == "principal")).one()
        company = principal.org_unit_id
        big = Project(name="压测公寓", company_id=company, city="北京", kind=ProjectKind.CENTRALIZED)
        target = Project(name="导入公寓", company_id=company, city="北京", kind=ProjectKind.CENTRALIZED)
        s.add_all([big, target])
        s.flush()
        buildings = [Building(project_id=p.id, name=f"{b}号楼") for p in (big, target) for b in range(1, 11)]
        s.add_all(buildings)
        s.flush()
        floors = [Floor(building_id=b.id, number=f) for b in buildings for f in range(1, 51)]
        s.add_all(floors)
        s.flush()
        # 100,000 rooms in the big project: 10 buildings x 50 floors x 200 rooms.
        rows = [
            dict(
                project_id=big.id,
                building_id=f.building_id,
                floor_id=f.id,
                floor_no=f.number,
                number=f"{f.building_id}-{f.number}-{r:03d}",
                area=Decimal("35.50"),
                rent=Decimal(3200),
                deposit=Decimal(3200),
                orientation="南",
                longitude=Decimal("116.400000"),
                latitude=Decimal("39.900000"),
                external_code=f"EXT{f.id}-{r}",
                status="vacant",
            )
            for f in floors
            if f.building_id in {b.id for b in buildings[:10]}
            for r in range(1, 201)
        ]
        s.execute(sa.insert(Room), rows)
        target_name = target.name

    n = 10_000
    sheet = pl.DataFrame(
        {
            "项目": [target_name] * n,
            "楼栋": [f"{i % 10 + 1}号楼" for i in range(n)],
            "楼层": [str(i // 10 % 50 + 1) for i in range(n)],
            "房号": [f"R{i:05d}" for i in range(n)],
            "面积(㎡)": ["32.50"] * n,
            "月租金(元)": [str(2500 + i % 900) for i in range(n)],
            "押金(元)": ["3000"] * n,
            "朝向": ["南"] * n,
            "经度": ["116.391234"] * n,
            "纬度": ["39.907654"] * n,
            "来源平台房间编号": [f"X{i}" for i in range(n)],
        }
    )
    buf = io.BytesIO()
    sheet.write_excel(buf)
    data = buf.getvalue()

    figures = []
    with db.session_scope() as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "principal")).one())
        t = time.perf_counter()
        frame = admin_io.read_sheet(data, "rooms.xlsx")
        preview = admin_io.dry_run(s, RoomAdmin, p, frame)
        assert preview.ok, preview.errors[:3]
        done = admin_io.commit(s, RoomAdmin, p, preview, "rooms.xlsx")
        figures.append(
            (f"import {done:,} rooms from xlsx (read + validate + insert as one batch)", time.perf_counter() - t)
        )

    with db.session_scope() as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "principal")).one())
        big_id = s.exec(select(Project.id).where(Project.name == "压测公寓")).one()
        t = time.perf_counter()
        frame = admin_io.export_frame(s, RoomAdmin, p, ListQuery(filters={"project_id": str(big_id)}))
        out = admin_io.write_frame(frame, "xlsx")
        figures.append(
            (
                f"export {frame.height:,} rooms to xlsx ({len(out) / 1e6:.1f} MB, {frame.width} columns)",
                time.perf_counter() - t,
            )
        )

    print("\nCLSS housing benchmark (SQLite, one process)")
    for label, seconds in figures:
        print(f"{label:72} {seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

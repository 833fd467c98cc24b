"""The dashboard's figures through plain SQL group-bys (SQLite or PostgreSQL).

Two uses: the benchmark compares its time with the Polars path, and the tests use it as an
independent oracle (written from the definitions in ``clss_app.services.analytics``' docstring,
sharing none of its code but the state lists).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from clss_app.services import analytics as an


def _in(values) -> str:
    return ",".join(f"'{v}'" for v in values)


def _projects(project_ids) -> str:
    return ",".join(str(int(i)) for i in project_ids) or "NULL"


def figures(conn: sa.Connection, project_ids: list[int], start: date, end: date, today: date) -> dict:
    """Every figure the dashboard shows for these projects, months [start, end] and today; money in cents."""
    pj = _projects(project_ids)
    pg = conn.dialect.name == "postgresql"

    def month(col):
        return f"to_char({col}, 'YYYY-MM')" if pg else f"strftime('%Y-%m', {col})"

    due_end = min(end, today)
    one = lambda sql, **kw: conn.execute(sa.text(sql), kw).one()  # noqa: E731
    rows = lambda sql, **kw: conn.execute(sa.text(sql), kw).all()  # noqa: E731
    rented, rentable, n_rooms = one(
        f"SELECT COALESCE(SUM(CASE WHEN status IN ({_in(an.RENTED)}) THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN status != 'locked' THEN 1 ELSE 0 END), 0), COUNT(*) "
        f"FROM room WHERE project_id IN ({pj})"
    )
    owed_sql = "CAST(ROUND((amount + late_fee) * 100) AS BIGINT)"
    paid_sql = "CAST(ROUND(paid * 100) AS BIGINT)"
    owed, paid, due_bills = one(
        f"SELECT COALESCE(SUM({owed_sql}), 0), COALESCE(SUM({paid_sql}), 0), COUNT(*) FROM bill "
        f"WHERE project_id IN ({pj}) AND state IN ({_in(an.DUE_STATES)}) AND due_date BETWEEN :a AND :b",
        a=start,
        b=due_end,
    )
    revenue = one(
        f"SELECT COALESCE(SUM(CAST(ROUND(amount * 100) AS BIGINT)), 0) FROM payment "
        f"WHERE project_id IN ({pj}) AND paid_on BETWEEN :a AND :b",
        a=start,
        b=end,
    )[0]
    by_month = lambda sql, **kw: {m: tuple(r) for m, *r in rows(sql, **kw)}  # noqa: E731
    due_m = by_month(
        f"SELECT {month('due_date')}, SUM({owed_sql}), SUM({paid_sql}) FROM bill "
        f"WHERE project_id IN ({pj}) AND state IN ({_in(an.DUE_STATES)}) AND due_date BETWEEN :a AND :b "
        "GROUP BY 1",
        a=start,
        b=due_end,
    )
    rev_m = by_month(
        f"SELECT {month('paid_on')}, SUM(CAST(ROUND(amount * 100) AS BIGINT)) FROM payment "
        f"WHERE project_id IN ({pj}) AND paid_on BETWEEN :a AND :b GROUP BY 1",
        a=start,
        b=end,
    )
    signed_where = f"project_id IN ({pj}) AND state IN ({_in(an.SIGNED_STATES)}) AND signed_on BETWEEN :a AND :b"
    new_m = by_month(
        f"SELECT {month('signed_on')}, COUNT(*) FROM contract WHERE {signed_where} "
        f"AND source IN ({_in(an.NEW_SOURCES)}) GROUP BY 1",
        a=start,
        b=end,
    )
    ren_m = by_month(
        f"SELECT {month('signed_on')}, COUNT(*) FROM contract WHERE {signed_where} AND source = 'renewal' GROUP BY 1",
        a=start,
        b=end,
    )
    out_m = by_month(
        f"SELECT {month('checked_out_on')}, COUNT(*) FROM contract "
        f"WHERE project_id IN ({pj}) AND checked_out_on BETWEEN :a AND :b GROUP BY 1",
        a=start,
        b=end,
    )
    monthly = []
    for m in an.months_between(start, end):
        key = m.strftime("%Y-%m")
        monthly.append(
            {
                "month": m,
                "owed": due_m.get(key, (0, 0))[0],
                "paid": due_m.get(key, (0, 0))[1],
                "revenue": rev_m.get(key, (0,))[0],
                "signings": new_m.get(key, (0,))[0],
                "renewals": ren_m.get(key, (0,))[0],
                "check_outs": out_m.get(key, (0,))[0],
            }
        )
    age = "(CAST(:t AS DATE) - due_date)" if pg else "CAST(julianday(:t) - julianday(due_date) AS INTEGER)"
    band_sql = (
        "CASE "
        + " ".join(f"WHEN {age} <= {high} THEN {i}" for i, (_, _, high) in enumerate(an.AGE_BANDS) if high is not None)
        + f" ELSE {len(an.AGE_BANDS) - 1} END"
    )
    arrears_rows = {
        b: (n, amt)
        for b, n, amt in rows(
            f"SELECT {band_sql}, COUNT(*), SUM({owed_sql} - {paid_sql}) FROM bill WHERE project_id IN ({pj}) "
            f"AND state IN ({_in(an.OPEN_STATES)}) AND due_date < :t GROUP BY 1",
            t=today,
        )
    }
    arrears = [
        {"band": label, "bills": arrears_rows.get(i, (0, 0))[0], "amount": arrears_rows.get(i, (0, 0))[1]}
        for i, (label, _, _) in enumerate(an.AGE_BANDS)
    ]
    expiring = [
        {
            "days": n,
            "count": one(
                f"SELECT COUNT(*) FROM contract WHERE project_id IN ({pj}) AND state IN ({_in(an.EXPIRING_STATES)}) "
                "AND end_date BETWEEN :a AND :b",
                a=today,
                b=today + timedelta(days=n),
            )[0],
        }
        for n in an.EXPIRY_DAYS
    ]
    rent = {
        name: (float(r) / float(a), n)
        for name, r, a, n in rows(
            "SELECT COALESCE(u.name, '未设户型'), SUM(c.monthly_rent), SUM(r.area), COUNT(*) FROM contract c "
            "JOIN room r ON r.id = c.room_id LEFT JOIN unit_type u ON u.id = r.unit_type_id "
            f"WHERE c.project_id IN ({pj}) AND c.state IN ({_in(an.EXPIRING_STATES)}) GROUP BY 1 HAVING SUM(r.area) > 0"
        )
    }
    local_day = "CAST(created_at + INTERVAL '8 hours' AS DATE)" if pg else "date(created_at, '+8 hours')"
    funnel = {
        "appointments": one(
            f"SELECT COUNT(*) FROM appointment WHERE project_id IN ({pj}) AND {local_day} BETWEEN :a AND :b",
            a=start,
            b=end,
        )[0],
        "reservations": one(
            f"SELECT COUNT(*) FROM reservation WHERE project_id IN ({pj}) AND {local_day} BETWEEN :a AND :b",
            a=start,
            b=end,
        )[0],
        "contracts": one(
            f"SELECT COUNT(*) FROM contract WHERE {signed_where} AND source IN ({_in(an.NEW_SOURCES)})", a=start, b=end
        )[0],
    }
    return {
        "rooms": n_rooms,
        "rented": rented,
        "rentable": rentable,
        "owed": owed,
        "paid": paid,
        "due_bills": due_bills,
        "revenue": revenue,
        "monthly": monthly,
        "arrears": arrears,
        "arrears_total": sum(a["amount"] or 0 for a in arrears),
        "expiring": expiring,
        "rent": rent,
        "funnel": funnel,
    }


def same_figures(polars_figures: dict, sql_figures: dict) -> list[str]:
    """Where the two computations disagree (empty when they agree)."""
    d, q = polars_figures, sql_figures
    out = []
    for k in ("rooms", "rented", "rentable", "owed", "paid", "due_bills", "revenue", "arrears_total", "funnel"):
        if d[k] != q[k]:
            out.append(f"{k}: {d[k]} != {q[k]}")
    for a, b in zip(d["monthly"], q["monthly"]):
        if a != b:
            out.append(f"month {a['month']}: {a} != {b}")
    for a, b in zip(d["arrears"], q["arrears"]):
        if (a["bills"], a["amount"]) != (b["bills"], b["amount"] or 0):
            out.append(f"arrears {a['band']}: {a} != {b}")
    if [e["count"] for e in d["expiring"]] != [e["count"] for e in q["expiring"]]:
        out.append(f"expiring: {d['expiring']} != {q['expiring']}")
    rent = {r["unit_type"]: (round(r["per_sqm"], 6), r["contracts"]) for r in d["rent_per_sqm"]}
    if rent != {k: (round(v, 6), n) for k, (v, n) in q["rent"].items()}:
        out.append(f"rent per sqm: {rent} != {q['rent']}")
    return out

"""Command line for operators: python -m clss_app.manage <command>.

migrate                       apply Alembic migrations up to head
seed [--scale N]              load demo data if the database holds no organisation
reset-demo [--scale N]        drop everything, migrate, load demo data
create-admin --username U --name N --password P [--role R] [--unit NAME]
unlock-user USERNAME          lift a user's lock and login throttle (the way back in for the top account)
check                         check every admin declaration (fields, options, roles, links); non-zero on a problem
"""

from __future__ import annotations

import argparse
import sys
import time

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel, select

from clss_app import db, settings


def alembic_config() -> Config:
    return Config(str(settings.ROOT / "alembic.ini"))


def migrate() -> None:
    command.upgrade(alembic_config(), "head")


def is_empty() -> bool:
    from models import OrgUnit

    with db.session_scope() as s:
        return s.exec(select(sa.func.count()).select_from(OrgUnit)).one() == 0


def drop_all() -> None:
    import models  # noqa: F401

    eng = db.engine()
    SQLModel.metadata.drop_all(eng)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clss_app.manage")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate")
    dj = sub.add_parser("daily", help="run the daily job now (expire reservations, late fees, renewals)")
    dj.add_argument("--date", default="", help="as of this day (YYYY-MM-DD); default today")
    for name in ("seed", "reset-demo"):
        sp = sub.add_parser(name)
        sp.add_argument(
            "--scale", type=int, default=1, help="1 = default demo (about 1,500 rooms); 70 reaches about 100k rooms"
        )
    cl = sub.add_parser("clearing", help="clear a day with the payment provider now (default: the day due)")
    cl.add_argument("--date", default="", help="the day to clear (YYYY-MM-DD); default yesterday after 15:00")
    ca = sub.add_parser("create-admin")
    ca.add_argument("--username", required=True)
    ca.add_argument("--name", required=True)
    ca.add_argument("--password", required=True)
    ca.add_argument("--role", default="super_admin")
    ca.add_argument("--unit", default="", help="org unit name; default: the HQ")
    ul = sub.add_parser("unlock-user", help="lift a user's lock and login throttle")
    ul.add_argument("username")
    sub.add_parser("check", help="check every admin declaration; one line per problem, non-zero if any")
    args = parser.parse_args(argv)

    if args.cmd == "check":
        return check()

    if args.cmd == "migrate":
        migrate()
        print("数据库已迁移到最新版本")
    elif args.cmd in ("seed", "reset-demo"):
        from clss_app import demo

        if args.cmd == "reset-demo":
            drop_all()
        migrate()
        if not is_empty():
            print("数据库已有数据，跳过演示数据")
            return 0
        t0 = time.perf_counter()
        counts = demo.generate(scale=args.scale)
        print(
            f"演示数据已生成（{time.perf_counter() - t0:.1f} 秒）：" + "，".join(f"{k} {v}" for k, v in counts.items())
        )
    elif args.cmd == "daily":
        from datetime import date

        from clss_app.services import jobs

        migrate()
        done = jobs.daily(date.fromisoformat(args.date) if args.date else None)
        print(
            f"每日任务完成：过期预定 {done['expired_reservations']}，续租生效 {done['renewals_started']}，"
            f"滞纳金更新 {done['late_fees']}，过期支付订单 {done['expired_pay_orders']}，"
            f"存房申请失效 {done['lapsed_consignments']}，"
            f"账本不符 {done['ledger_mismatches']}"
        )
    elif args.cmd == "clearing":
        from datetime import date

        from clss_app.services import clearing

        migrate()
        n = clearing.run_due(day=date.fromisoformat(args.date) if args.date else None)
        print(f"对账完成：新对账 {n} 家企业")
    elif args.cmd == "create-admin":
        from clss_app.services.accounts import create_user

        migrate()
        try:
            with db.session_scope() as s:
                user = create_user(
                    s,
                    username=args.username,
                    display_name=args.name,
                    password=args.password,
                    role=args.role,
                    unit_name=args.unit,
                )
        except ValueError as exc:
            print(f"创建失败：{exc}", file=sys.stderr)
            return 1
        print(f"已创建用户 {user.username}（{user.role.label}）")
    elif args.cmd == "unlock-user":
        from clss_app.services import auth
        from models import User

        migrate()
        with db.session_scope() as s:
            found = s.exec(select(User).where(User.username == args.username)).first()
            if found is not None:
                auth.unlock(s, found, by="命令行")
        if found is None:
            print(f"解锁失败：用户 {args.username} 不存在", file=sys.stderr)
            return 1
        print(f"已解锁用户 {args.username}")
    return 0


def check() -> int:
    """The start-up checks of the app's site (clss_app/admin/checks.py), without starting it."""
    from clss_app.site import build

    site = build()
    problems = site.check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"管理声明检查未通过：{len(problems)} 个问题", file=sys.stderr)
        return 1
    print(f"管理声明检查通过：{len(site.admins())} 个管理页，{len(site.dashboards())} 个看板")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""住房链上架 benchmark (#21 item 7).

    source scripts/setup.sh && python -m benchmarks.chain_listing

On a fresh demo database (in a temporary folder), with the sandbox chain started on a private port, it
makes a project of 2,000 rooms complete for the chain in the first company, then times:
1. the application's checks (企业参数 and every room's fields: chain_listing.apply_problems);
2. making the application: its number and a 未上架 result row a room (prepare, take_rooms);
3. the end-of-day batch of the approved application: one signed request of 2,000 rooms to the sandbox,
   each room's result written once (chain_listing.run_due);
4. the same batch run again (nothing to send, nothing written).
Prints the figures; not part of the test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

N = 2_000


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="clss-chain-bench-"))
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    port = 3190 + os.getpid() % 500
    sandbox = subprocess.Popen([sys.executable, "-m", "clss_app.sandbox", "--port", str(port)])
    os.environ["CLSS_CHAIN_URL"] = f"http://127.0.0.1:{port}"
    try:
        from sqlmodel import select

        from clss_app import db, demo, manage
        from clss_app.core.principal import Principal
        from clss_app.services import chain_listing
        from models import ChainApplication, ChainApplyState, ChainListing, ListingState, OrgUnit, Role, User
        from tests.chain_world import new_project

        manage.migrate()
        demo.generate()
        for _ in range(100):
            try:
                urllib.request.urlopen(os.environ["CLSS_CHAIN_URL"] + "/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with db.session_scope() as s:
            project = new_project(s, "京安居住房租赁有限公司", "基准链上公寓", rooms=N)
            user = s.exec(select(User).where(User.username == "principal")).one()
            company = s.get_one(OrgUnit, project.company_id)
            p = Principal(user.id or 0, user.username, "", Role.PRINCIPAL, company.id or 0, company.name, None)

        t0 = time.perf_counter()
        with db.session_scope() as s:
            assert chain_listing.apply_problems(s, project.id) == {}
        checked = time.perf_counter() - t0

        t0 = time.perf_counter()
        with db.session_scope() as s:
            values: dict = {"project_id": project.id, "remark": ""}
            chain_listing.prepare(s, p, values)
            application = ChainApplication(**values)
            s.add(application)
            s.flush()
            chain_listing.take_rooms(s, application)
            app_id = application.id
        made = time.perf_counter() - t0

        with db.session_scope() as s:
            row = s.get_one(ChainApplication, app_id)
            row.state, row.batch_no = ChainApplyState.APPROVED, chain_listing.batch_no_of(row.number)
        t0 = time.perf_counter()
        done = chain_listing.run_due()
        listed = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = chain_listing.run_due()
        rerun = time.perf_counter() - t0
        with db.session_scope() as s:
            mine = select(ChainListing.id).where(ChainListing.application_id == app_id)
            ok = len(s.exec(mine.where(ChainListing.state == ListingState.LISTED)).all())
        assert done["chain_batches_listed"] == 1 and again == {"chain_batches_listed": 0, "chain_batches_waiting": 0}
        print(f"住房链上架, {N:,} rooms (SQLite, sandbox chain over HTTP):")
        print(f"  application checks      {checked * 1000:8.0f} ms")
        print(f"  application made        {made * 1000:8.0f} ms  ({N:,} result rows 未上架)")
        print(f"  end-of-day batch        {listed * 1000:8.0f} ms  (one request, {N:,} results written)")
        print(f"  the batch run again     {rerun * 1000:8.0f} ms  (nothing sent or written)")
        print(f"  rooms 上架成功 in the database: {ok:,}")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()

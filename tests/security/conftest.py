"""The forged-event suite runs against the same app server as the Chromium tests (tests/app_server.py),
on SQLite or, in the test command's second pass, on PostgreSQL + Redis with several workers.

To iterate on the suite against an app already running (its database must be one you may change):
``CLSS_SECURITY_URL=http://127.0.0.1:3000 CLSS_SECURITY_DB=sqlite:///... pytest tests/security``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from tests.app_server import APP_LOG, ARTIFACTS, PASSWORD
from tests.security import forge
from tests.security.facts import DbFacts
from tests.security.harness import Client, Driver, LogWatch, Outcome, describe, judge
from tests.security.journal import Journal

CASES_LOG = ARTIFACTS / "security-cases.jsonl"
REFUSED_KINDS = ("no_session", "wrong_role", "action_role", "out_of_scope")  # no write is legitimate in these


@pytest.fixture(scope="session")
def sec_app(request) -> tuple[str, str]:
    """(base URL, database URL) of the app under attack."""
    if os.environ.get("CLSS_SECURITY_URL"):
        return os.environ["CLSS_SECURITY_URL"], os.environ["CLSS_SECURITY_DB"]
    return request.getfixturevalue("base_url"), request.getfixturevalue("app_db")


@pytest.fixture(scope="session")
def journal(sec_app):
    j = Journal(sec_app[1])
    j.install()
    j.quiet()  # the daily job the app runs at start must not count as a case's change
    j.start()
    yield j
    j.uninstall()


@pytest.fixture(scope="session")
def facts(sec_app):
    f = DbFacts(sec_app[1])
    yield f
    f.close()


@pytest.fixture(scope="session")
def driver():
    d = Driver()
    yield d
    d.close()


@pytest.fixture(scope="session")
def attack(sec_app, journal, facts, driver):
    ARTIFACTS.mkdir(exist_ok=True)
    CASES_LOG.write_text("")
    return Attack(sec_app[0], journal, facts, driver)


class Attack:
    """Runs cases on simulated tabs and judges each; logins are made once and shared by fresh tabs."""

    def __init__(self, base_url: str, journal: Journal, facts: DbFacts, driver: Driver):
        self.base_url, self.journal, self.facts, self.driver = base_url, journal, facts, driver
        self.log = LogWatch(Path(os.environ.get("CLSS_SECURITY_LOG") or APP_LOG))
        self.tokens: dict[str, str] = {}
        self.background = {h.event for h in forge.all_handlers() if h.background}

    def token(self, who: str) -> str:
        if who not in self.tokens:

            async def login():
                client = Client(self.base_url, who=who)
                await client.tab.login(who, PASSWORD)
                await client.close()
                return client.tab.login_token

            self.tokens[who] = self.driver.run(login(), 60)
        return self.tokens[who]

    def run(
        self,
        cases: list[forge.Case],
        page: forge.Page,
        who: str | None,
        prime: bool = True,
        tab_per_handler: bool = False,
    ) -> list[Outcome]:
        """Each case in turn on one fresh tab at ``page``, as ``who`` (None: no session); with
        ``tab_per_handler`` a fresh tab for each handler's cases, so a junk value one handler kept
        in the tab's state cannot fail another's cases."""
        token = self.token(who) if who else ""
        canaries = set(self.facts.canaries()) if cases and cases[0].kind in ("no_session", "wrong_role") else set()
        identity = self.facts.identity(who)
        if not tab_per_handler:
            return self.driver.run(self._run(cases, page, who, token, prime, canaries, identity))
        groups: dict[str, list] = {}
        for c in cases:
            groups.setdefault(c.handler.qualname, []).append(c)
        return [
            o
            for group in groups.values()
            for o in self.driver.run(self._run(group, page, who, token, prime, canaries, identity))
        ]

    async def _open(self, page, who, token, prime) -> Client:
        client = Client(self.base_url, token, who or "no session")
        await client.open(page.route)
        if prime and page.primer is not None and not (who and self.facts.may(who, "view", page.key)):
            # The guard did not load the page: send its loader as a forged event, so the state
            # knows which list it is on (the cases send it again, judged).
            await client.send([forge.Step(*page.primer)])
        return client

    async def _run(self, cases, page, who, token, prime, canaries, identity) -> list[Outcome]:
        # A background handler answers after its own polling (0.3 s and more): where no case may
        # write at all, those run side by side on tabs of their own, after the others.
        side = [c for c in cases if c.kind in REFUSED_KINDS and any(s.event in self.background for s in c.steps)]
        client = await self._open(page, who, token, prime)
        outcomes = []
        for case in cases:
            if case in side:
                continue
            outcomes.append(await self._case(client, case, canaries, identity))
            if outcomes[-1].reply.problem:
                await client.reconnect()
        await client.close()
        if side:
            outcomes += await self._side_by_side(side, page, who, token, prime, canaries, identity)
        with CASES_LOG.open("a") as f:
            for o in outcomes:
                f.write(
                    json.dumps(
                        {
                            "page": page.key,
                            "who": who,
                            "case": o.case.describe(),
                            "answer": o.reply.summary(),
                            "problems": o.problems,
                            "seconds": round(o.seconds, 3),
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        return outcomes

    async def _side_by_side(self, cases, page, who, token, prime, canaries, identity) -> list[Outcome]:
        """The cases at once, each on a tab of its own; if the database or the log saw anything, again
        one by one, so that each is judged on what it alone caused."""
        clients = [await self._open(page, who, token, prime) for _ in cases]
        start, mark, log_mark = time.perf_counter(), self.journal.mark(), self.log.mark()
        replies = await asyncio.gather(*(c.send(case.steps, True) for c, case in zip(clients, cases)))
        changes, log = self.journal.since(mark), self.log.since(log_mark)
        for c in clients:
            await c.close()
        if (changes or log) and len(cases) > 1:
            outcomes = []
            for case in cases:
                client = await self._open(page, who, token, prime)
                outcomes.append(await self._case(client, case, canaries, identity))
                await client.close()
            return outcomes
        took = time.perf_counter() - start
        outcomes = [Outcome(case, reply, changes, log, took) for case, reply in zip(cases, replies)]
        for o in outcomes:
            o.problems = judge(o, canaries, identity)
        return outcomes

    async def _case(self, client: Client, case: forge.Case, canaries, identity) -> Outcome:
        start, mark, log_mark = time.perf_counter(), self.journal.mark(), self.log.mark()
        held = self.facts.holds(*case.landing) if case.landing is not None else False
        background = any(s.event in self.background for s in case.steps)
        reply = await client.send(case.steps, background)
        if case.followup is not None and not reply.problem:
            took = case.followup.took(reply.var(case.followup.var))
            more = await client.send(case.followup.then if took else case.followup.otherwise, background)
            reply.updates += more.updates
            reply.problem = more.problem
        outcome = Outcome(case, reply, self.journal.since(mark), self.log.since(log_mark), time.perf_counter() - start)
        if case.landing is not None:
            key, row_id, name, value = case.landing
            outcome.landed = not held and self.facts.holds(key, row_id, name, value)
            outcome.own = self.facts.own_tables(key)
        outcome.problems = judge(outcome, canaries, identity)
        return outcome


def failures(outcomes: list[Outcome], who: str | None) -> list[str]:
    """Every failing case, then answers that tell an out-of-scope row from a missing one."""
    out = [describe(o) for o in outcomes if o.problems]
    pairs: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.case.pair:
            pairs.setdefault(o.case.pair, []).append(o)
    for group in pairs.values():
        answers = {o.answer() for o in group}
        if len(answers) > 1:
            shown = "\n      ".join(f"{o.case.note} → «{o.answer()[:160]}»" for o in group)
            out.append(f"{group[0].case.handler.qualname} [out_of_scope: existence told apart]\n      {shown}")
    if out:
        out.insert(0, f"as {who or 'no session'}: {len(out)} failures in {len(outcomes)} cases")
    return out

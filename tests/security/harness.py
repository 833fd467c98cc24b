"""Sending forged events and judging what came back.

A case is sent on a simulated tab (benchmarks/ws_client.py: Reflex's own socket protocol), then
the tab is *settled*: a probe event follows, and again after its answer, until a round brings
nothing but the probe's answer. Events of one tab are handled in order, so everything the case
caused (its updates and the events it chained) has arrived by then. The probe only moves the
router's query (``?__sec_probe=N``), which every event sets anew, so it changes nothing a case reads.

Then the case is judged on everything it caused: the updates, the database's change journal
(journal.py) and the app's log.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field

from benchmarks.ws_client import ROOT_STATE, Disconnected, Tab, Update
from tests.security.forge import Case, Step

PROBE_EVENT = f"{ROOT_STATE}.reflex___state____on_load_internal_state.set_is_hydrated"
PROBE_KEY = "__sec_probe"
NAVIGATE = f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal"
ROUND_TIMEOUT = 30.0
BACKGROUND_QUIET = 0.8  # a background task reports every 0.3 s while it runs
MAX_LIST = 500  # items one var may carry in one answer (a page of rows, a picker's options)
MAX_UPDATE = 1_000_000  # bytes of one answer
CJK = re.compile(r"[\u4e00-\u9fff]")
TOAST = re.compile(r"""refs\['__toast'\]\?\.\["(\w+)"\]\("((?:[^"\\]|\\.)*)\"""")
ALERT = re.compile(r"""window\.alert\("((?:[^"\\]|\\.)*)\"""")
GENERIC_ERROR = "An error occurred"
# Refusals that tell a caller nothing (an invalid request, a row missing or out of reach): a caller
# without a session may get these instead of the login page (a real lapsed tab reaches the session
# check first: it still holds its rows; only a forged event names what the tab never showed).
SAYS_NOTHING = re.compile(r"^(请求参数无效|.{0,12}不存在或无权访问|请先打开列表页面)$")
LOG_PROBLEMS = ("Traceback (most recent call last)", "Reflex Backend Exception")


class Driver:
    """An asyncio loop in a thread: the sync tests drive tabs that outlive one test."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 900):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# ---------------------------------------------------------------- answers


@dataclass
class Reply:
    updates: list[Update] = field(default_factory=list)
    problem: str = ""  # the socket broke or did not answer

    @property
    def events(self) -> list[dict]:
        return [e for u in self.updates for e in u.events]

    def text(self) -> str:
        """Everything sent back as one string, JS string escapes decoded (toasts carry \\uXXXX)."""
        raw = json.dumps([[u.delta, u.events] for u in self.updates], ensure_ascii=False)
        return re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw)

    def toasts(self) -> list[tuple[str, str]]:
        out = []
        for e in self.events:
            code = (e.get("payload") or {}).get("function") or ""
            for level, text in TOAST.findall(code):
                out.append((level, _js_string(text)))
            for text in ALERT.findall(code):
                out.append(("alert", _js_string(text)))
        return out

    def to_login(self) -> bool:
        for e in self.events:
            payload = e.get("payload") or {}
            if e.get("name") == "_redirect" and str(payload.get("path", "")).startswith("/login"):
                return True
            if (
                e.get("name") == "_call_script"
                and "location" in str(payload.get("javascript_code", ""))
                and "/login" in str(payload.get("javascript_code", ""))
            ):
                return True
        return False

    def downloads(self) -> list[str]:
        return [str((e.get("payload") or {}).get("url")) for e in self.events if e.get("name") == "_download"]

    def error_vars(self) -> list[tuple[str, str]]:
        """Messages shown next to a field or in a dialog: vars named *error / *errors."""
        out = []
        for values in (u.delta for u in self.updates):
            for substate in values.values():
                for var, value in substate.items():
                    name = var.removesuffix("_rx_state_")
                    if name.endswith(("error", "errors")):
                        for text in _leaves(value):
                            if text:
                                out.append((name, text))
        return out

    def messages(self) -> list[str]:
        return [t for _, t in self.toasts()] + [t for _, t in self.error_vars()]

    def var(self, name: str):
        for u in reversed(self.updates):
            for substate in u.delta.values():
                if f"{name}_rx_state_" in substate:
                    return substate[f"{name}_rx_state_"]
        return None

    def biggest(self) -> tuple[str, int, int]:
        """(var, items, bytes of its update) of the largest list and the largest update."""
        var, items, size = "", 0, 0
        for u in self.updates:
            size = max(size, len(json.dumps(u.delta)))
            for substate in u.delta.values():
                for name, value in substate.items():
                    if isinstance(value, list) and len(value) > items:
                        var, items = name.removesuffix("_rx_state_"), len(value)
        return var, items, size

    def summary(self) -> str:
        toasts = [f"{level} toast «{text[:160]}»" for level, text in self.toasts() if level != "alert"]
        parts = list(dict.fromkeys(toasts))
        parts += [f"{name} «{text[:160]}»" for name, text in self.error_vars()]
        if self.to_login():
            parts.append("redirect to login")
        parts += [f"download {url}" for url in self.downloads()]
        return "; ".join(parts) or "no message"


def _js_string(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def _leaves(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    if isinstance(value, list):
        return [t for v in value for t in _leaves(v)]
    return []


# ---------------------------------------------------------------- a tab that sends cases


class Client:
    """A simulated tab at one page, logged in or not, that sends cases and settles after each."""

    def __init__(self, base_url: str, login_token: str = "", who: str = "no session"):
        self.base_url, self.who = base_url, who
        self.tab = Tab(base_url)
        self.tab.login_token = login_token
        self.route = "/"
        self._probe = 0

    async def open(self, route: str) -> Reply:
        self.route = route
        await self.tab.connect(route)
        return await self.settle()

    async def goto(self, route: str) -> Reply:
        """Navigate as the router does: the page's on_load (the guard, then its loader if allowed)."""
        self.route = route
        self.tab.path = route
        self.tab.emit(NAVIGATE)
        return await self.settle()

    async def reconnect(self) -> None:
        await self.tab.close()
        token = self.tab.login_token
        self.tab = Tab(self.base_url)
        self.tab.login_token = token
        await self.tab.connect(self.route)
        await self.settle()

    async def send(self, steps: list[Step], background: bool = False) -> Reply:
        for s in steps:
            self.tab.emit(s.event, s.payload, at=self.route)
        return await self.settle(background)

    async def settle(self, background: bool = False) -> Reply:
        reply = Reply()
        try:
            while True:
                self._probe += 1
                probe = str(self._probe)
                self.tab.emit(PROBE_EVENT, {"value": True}, at=f"{self.route}?{PROBE_KEY}={probe}")
                others = 0
                while True:
                    update = await self.tab.next_update(ROUND_TIMEOUT)
                    if _probe_of(update) == probe:
                        break
                    if _probe_of(update) is None:
                        reply.updates.append(update)
                        others += 1
                if not others:
                    break
            while background:  # a background task's updates come on their own time, its answer last
                try:
                    reply.updates.append(await self.tab.next_update(BACKGROUND_QUIET))
                except TimeoutError:
                    break
                if any(e.get("name") in ("_call_function", "_call_script") for e in reply.updates[-1].events):
                    break
        except TimeoutError:
            reply.problem = f"no answer within {ROUND_TIMEOUT:.0f} s: the socket is no longer usable"
        except (Disconnected, OSError) as exc:
            reply.problem = f"the socket broke: {exc}"
        return reply

    async def close(self) -> None:
        await self.tab.close()


def _probe_of(update: Update) -> str | None:
    url = (update.delta.get(ROOT_STATE) or {}).get("rx_router_url_rx_state_") or {}
    return (url.get("query_parameters") or {}).get(PROBE_KEY)


# ---------------------------------------------------------------- the app's log


class LogWatch:
    def __init__(self, path):
        self.path = path

    def mark(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def since(self, mark: int) -> list[str]:
        try:
            with self.path.open("rb") as f:
                f.seek(mark)
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        lines = text.splitlines()
        marks = [i for i, line in enumerate(lines) if any(p in line for p in LOG_PROBLEMS)]
        out = []
        for n, i in enumerate(marks):
            # The exception a traceback ends with (the last unindented "...Error: ..." line before the
            # next one), with the lines the console wrapped it onto.
            block = range(i + 1, marks[n + 1] if n + 1 < len(marks) else len(lines))
            ends = [j for j in block if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b", lines[j])]
            if not ends and n + 1 < len(marks):
                continue  # a header right before the traceback it announces
            tail = lines[i].strip()
            if ends:
                wrapped = lines[ends[-1] : ends[-1] + 4]
                cut = next((k for k, ln in enumerate(wrapped) if not ln.strip()), len(wrapped))
                tail = " ".join(ln.strip() for ln in wrapped[:cut])
            tail = re.sub(r"(.)\1{19,}", lambda m: f"{m.group(1)}×{len(m.group(0))}", tail)
            if tail not in out:
                out.append(tail[:240])
        return out


# ---------------------------------------------------------------- judging


@dataclass
class Outcome:
    case: Case
    reply: Reply
    changes: list[tuple[str, str, str]]
    log: list[str]
    seconds: float
    problems: list[str] = field(default_factory=list)
    landed: bool = False  # a forged value saved into the caller's own row (Case.landing)
    own: set[str] = field(default_factory=set)  # tables of the caller's own row: its save may write them

    def answer(self) -> str:
        """What the caller was told, ids and numbers aside: an out-of-scope id and a missing one compare on it."""
        return re.sub(r"\d+", "N", " | ".join(sorted(set(self.reply.messages()))) or "(nothing)")


# Writes a refused event may still make: a session's bookkeeping, and an audit line recording the
# attempt. Odd but well-typed arguments from a permitted user may also issue a download (an export
# asked for in an unknown format falls back to xlsx).
TOLERATED = {"user_session": {"insert", "update", "delete"}, "audit_log": {"insert"}}
TOLERATED_ODD = {"download_ticket": {"insert"}}


def judge(o: Outcome, canaries: set[str], identity: set[str]) -> list[str]:
    case, reply = o.case, o.reply
    problems = []
    if reply.problem:
        problems.append(reply.problem)
    text = reply.text()
    if GENERIC_ERROR in text:
        problems.append("Reflex's generic error toast «An error occurred» (an exception in the handler)")
    problems += [f"app log: {line}" for line in o.log]
    allowed = {**TOLERATED, **(TOLERATED_ODD if case.kind == "odd_value" else {})}
    saved_own = case.landing is not None and not o.landed  # the caller saved its own row, the forged value ignored
    if saved_own:
        allowed.update({t: {"insert", "update", "delete"} for t in o.own})
    changed = [c for c in o.changes if c[1] not in allowed.get(c[0], ())]
    if o.landed:
        key, row_id, name, value = case.landing
        problems.append(f"the forged value {value!r} was saved into {key} #{row_id}.{name}")
    if changed:
        shown = ", ".join(f"{op} {table} #{key}" for table, op, key in changed[:8])
        problems.append(f"the database changed: {shown}{' …' if len(changed) > 8 else ''}")
    leaked = sorted(
        c
        for c in (canaries | set(case.canaries)) - identity
        if c and c in text and not any(c in s for s in _sent_strings(case))
    )
    if leaked:
        problems.append(f"data of a row the caller may not see came back: {', '.join(map(repr, leaked[:5]))}")
    var, items, size = reply.biggest()
    if items > MAX_LIST:
        problems.append(f"the answer carries {items} items in {var}")
    if size > MAX_UPDATE:
        problems.append(f"one update of {size:,} bytes")
    for level, msg in reply.toasts():
        if GENERIC_ERROR not in msg and not CJK.search(msg):
            problems.append(f"a message not in Chinese: {level} «{msg[:120]}»")
    if case.kind in ("no_session", "wrong_role", "action_role", "out_of_scope", "wrong_type"):
        if reply.downloads():
            problems.append(f"a file was handed out: {reply.downloads()[0]}")
        if any(level == "success" for level, _ in reply.toasts()) and not saved_own:
            problems.append("it succeeded: " + "; ".join(t for lv, t in reply.toasts() if lv == "success")[:200])
    if case.kind == "no_session" and not case.handler.open:
        said = [m for m in reply.messages() if GENERIC_ERROR not in m and not SAYS_NOTHING.match(m)]
        if said and not reply.to_login():
            problems.append(f"answered a caller without a session instead of sending them to log in: «{said[0][:120]}»")
    said_nothing = not any(CJK.search(m) for m in reply.messages()) and not reply.to_login()
    if case.kind == "wrong_type" and not reply.problem and GENERIC_ERROR not in text and said_nothing:
        problems.append(
            "a wrong argument was taken without a word (expected a Chinese message that the request is invalid)"
        )
    return problems


def _sent_strings(case: Case) -> list[str]:
    """What the case itself sent: finding it in the answer is an echo, not a leak."""
    return [v for s in case.steps + (case.followup.then if case.followup else []) for v in _leaves(s.payload)]


def describe(o: Outcome) -> str:
    seen = o.reply.summary()
    return f"{o.case.describe()}\n      → {'; '.join(o.problems)}\n      (answer: {seen})"

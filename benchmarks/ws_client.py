"""A simulated browser tab: Reflex's socket.io protocol over one websocket, in asyncio.

The load and fault tests drive the real app the way the page does (the same events, the same
hydrate on connect and reconnect), without a browser per session. Engine.IO v4 framing by hand
(a handful of packet types) over wsproto, which Reflex's server already installs.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Ping, RejectConnection, Request, TextMessage

ROOT_STATE = "reflex___state____state"
AUTH = f"{ROOT_STATE}.clss_app___state____auth_state"
ADMIN = f"{AUTH}.clss_app___admin___state____admin_state"
BOARD = f"{AUTH}.pages___workbench____workbench_state"
TOKEN_VAR = f"{AUTH}.token_rx_state_"
NS = "/_event,"  # Reflex's socket.io namespace


def reflex_version() -> str:
    """The socket subprotocol the server expects: the installed Reflex's version."""
    from reflex_base import constants

    return constants.Reflex.VERSION


def form(**fields) -> dict:
    """An rx.form's submit payload."""
    return {"form": {"__reflex_form_data__": [[k, v] for k, v in fields.items()]}}


class Disconnected(ConnectionError):
    pass


@dataclass
class Update:
    delta: dict
    events: list
    at: float = field(default_factory=time.perf_counter)


class Tab:
    """One browser tab: a token, a socket, and the state the server sent."""

    def __init__(self, base_url: str, version: str | None = None):
        self.base = urlsplit(base_url)
        self.version = version or reflex_version()
        self.client_token = str(uuid.uuid4())
        self.login_token = ""
        self.path = "/"
        self.last_event = ""
        self.state: dict[str, dict] = {}
        self._updates: asyncio.Queue[Update] = asyncio.Queue()
        self._reader = self._writer = None
        self._ws: WSConnection | None = None
        self._pump: asyncio.Task | None = None

    # ---------------------------------------------------------------- transport
    async def connect(self, path: str | None = None, timeout: float = 20) -> None:
        """Open the socket and hydrate ``path`` as the page does on (re)connect."""
        self.path = path or self.path
        host, port = self.base.hostname, self.base.port or 80
        self._reader, self._writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        self._ws = WSConnection(ConnectionType.CLIENT)
        target = f"/_event/?token={self.client_token}&EIO=4&transport=websocket"
        self._send_raw(self._ws.send(Request(host=f"{host}:{port}", target=target, subprotocols=[self.version])))
        while True:
            event = await self._next_ws_event(timeout)
            if isinstance(event, AcceptConnection):
                break
            if isinstance(event, RejectConnection):
                raise Disconnected(f"websocket refused ({event.status_code})")
        opened = await self._next_text(timeout)
        if not opened.startswith("0"):
            raise Disconnected(f"unexpected engine.io open: {opened[:80]}")
        boot = self._event(
            f"{ROOT_STATE}.hydrate_and_load", {"vars": {TOKEN_VAR: self.login_token}} if self.login_token else {}
        )
        self._send_text("40" + NS + json.dumps({"event": boot}))
        self._updates = asyncio.Queue()
        self._pump = asyncio.create_task(self._read_loop())

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        if self._writer is not None:
            try:
                self._send_raw(self._ws.send(CloseConnection(code=1000)))
                self._writer.close()
            except Exception:
                pass
        self._writer = None

    def drop(self) -> None:
        """The network goes away without a goodbye (a laptop lid closed mid-import)."""
        if self._pump is not None:
            self._pump.cancel()
        if self._writer is not None:
            self._writer.transport.abort()
        self._writer = None

    def _send_raw(self, data: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise Disconnected("socket closed")
        self._writer.write(data)

    def _send_text(self, text: str) -> None:
        self._send_raw(self._ws.send(TextMessage(data=text)))

    async def _next_ws_event(self, timeout: float):
        while True:
            for event in self._ws.events():
                return event
            data = await asyncio.wait_for(self._reader.read(65536), timeout)
            if not data:
                raise Disconnected("server closed the socket")
            self._ws.receive_data(data)

    async def _next_text(self, timeout: float) -> str:
        parts: list[str] = []
        while True:
            event = await self._next_ws_event(timeout)
            if isinstance(event, TextMessage):
                parts.append(event.data)
                if event.message_finished:
                    return "".join(parts)
            elif isinstance(event, Ping):
                self._send_raw(self._ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                raise Disconnected("server closed the websocket")
            elif isinstance(event, BytesMessage):
                continue

    async def _read_loop(self) -> None:
        try:
            while True:
                text = await self._next_text(3600)
                if text == "2":  # engine.io ping
                    self._send_text("3")
                elif text.startswith("42" + NS):  # socket.io event
                    name, *args = json.loads(text[2 + len(NS) :])
                    if name == "event" and args:
                        update = Update(args[0].get("delta") or {}, args[0].get("events") or [])
                        self._apply(update)
                        self._updates.put_nowait(update)
                elif text.startswith("41") or text.startswith("1"):
                    raise Disconnected("closed by server")
        except (Disconnected, OSError, asyncio.IncompleteReadError) as exc:
            self._updates.put_nowait(Update({}, [{"name": "_disconnected", "payload": {"why": str(exc)}}]))

    def _apply(self, update: Update) -> None:
        for substate, values in update.delta.items():
            self.state.setdefault(substate, {}).update(values)
        for e in update.events:
            if e.get("name", "").endswith("_redirect"):
                self.path = (e.get("payload") or {}).get("path", self.path)

    # ---------------------------------------------------------------- events
    def _event(self, name: str, payload: dict | None = None, at: str | None = None) -> dict:
        at = at or self.path
        path = at.split("?")[0]
        query = dict(p.split("=", 1) for p in at.split("?")[1].split("&")) if "?" in at else {}
        router = {"pathname": path, "asPath": at}
        if query:
            router["query"] = query
        return {"name": name, "payload": {} if payload is None else payload, "router_data": router}

    def emit(self, name: str, payload: dict | None = None, at: str | None = None) -> None:
        """Send one event, as sent from the page at ``at`` (default: the tab's path)."""
        self.last_event = name.rsplit(".", 1)[-1]
        self._send_text("42" + NS + json.dumps(["event", self._event(name, payload, at)]))

    async def next_update(self, timeout: float) -> Update:
        """The next update the server sent, as it came (no backend events sent on)."""
        update = await asyncio.wait_for(self._updates.get(), timeout)
        for e in update.events:
            if e.get("name") == "_disconnected":
                raise Disconnected(e["payload"]["why"])
        return update

    async def until(self, done, timeout: float = 30) -> Update:
        """Server updates until ``done(update)``; backend events it asks for are sent on, as the page does."""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no answer in time")
            update = await asyncio.wait_for(self._updates.get(), left)
            for e in update.events:
                name = e.get("name", "")
                if name == "_disconnected":
                    raise Disconnected(e["payload"]["why"])
                if name.split(".")[-1].startswith("_"):
                    continue  # a frontend event (toast, redirect, script): applied above
                self._send_text("42" + NS + json.dumps(["event", {**e, "router_data": self._event("")["router_data"]}]))
            if done(update):
                return update

    async def call(
        self, name: str, payload: dict | None = None, *, changes: tuple[str, str], timeout: float = 30
    ) -> float:
        """Emit one event and wait for the var it changes; returns the seconds it took."""
        substate, var = changes
        start = time.perf_counter()
        self.emit(name, payload)
        update = await self.until(lambda u: var in u.delta.get(substate, {}), timeout)
        return update.at - start

    async def navigate(self, path: str, *, changes: tuple[str, str], timeout: float = 30) -> float:
        """Client-side navigation: the page's on_load runs for ``path``."""
        self.path = path
        start = time.perf_counter()
        self.emit(f"{ROOT_STATE}.reflex___state____on_load_internal_state.on_load_internal")
        substate, var = changes
        update = await self.until(lambda u: var in u.delta.get(substate, {}), timeout)
        return update.at - start

    async def login(self, username: str, password: str, timeout: float = 30) -> None:
        await self.connect("/login", timeout)
        self.emit(f"{AUTH}.login", form(username=username, password=password))
        await self.until(lambda u: u.delta.get(AUTH, {}).get("token_rx_state_"), timeout)
        self.login_token = self.state[AUTH]["token_rx_state_"]

    def var(self, substate: str, name: str):
        return self.state.get(substate, {}).get(f"{name}_rx_state_")

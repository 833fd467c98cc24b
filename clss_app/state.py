"""The Reflex state every page stands on: who is logged in, and the guard.

Security lives on the server: the browser holds only a random session token
(local storage). Every handler resolves the principal from that token in the
database, so a revoked or expired session, a wrong role or an out-of-scope
row is refused whatever the client sends. Identity fields below are for
display only; nothing trusts them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from clss_app import db, menu, settings
from clss_app.admin.site import served
from clss_app.compat import event, run_here
from clss_app.services import auth
from clss_app.services.permissions import VIEW, Forbidden, NotLoggedIn, Principal, can


def _login(username: str, password: str, address: str) -> auth.LoginResult:
    with db.session_scope() as s:
        return auth.login(s, username, password, address=address)


def _safe_next(path: str | None) -> str:
    # Only same-site paths: "//evil.example" would leave the site.
    if path and path.startswith("/") and not path.startswith("//") and not path.startswith("/login"):
        return path
    return "/"


class AuthState(rx.State):
    _page_key: str = ""
    token: str = rx.LocalStorage("", name="clss_token")
    # The session's second secret, asked for by the download route: a ticket link alone opens nothing.
    download_key: str = rx.Cookie(
        "", name=auth.DOWNLOAD_COOKIE, same_site="strict", max_age=settings.SESSION_HOURS * 3600
    )

    display_name: str = ""
    role_label: str = ""
    unit_name: str = ""
    allowed_keys: list[str] = []
    allowed_groups: list[str] = []
    page_status: str = "loading"  # loading | ok | forbidden
    served_by: str = ""  # host:pid of the worker that checked this page

    login_error: str = ""
    login_error_field: str = ""

    # ------------------------------------------------------------ helpers
    @contextmanager
    def _session(self) -> Iterator[tuple[Session, Principal | None]]:
        """A database session and the principal behind this browser's token."""
        with db.session_scope() as s:
            yield s, auth.principal_for_token(s, self.token)

    def _refused(self, exc: Forbidden) -> EventSpec:
        if isinstance(exc, NotLoggedIn):
            return self._to_login()
        return rx.toast.error(str(exc), position="top-center")

    def _to_login(self) -> EventSpec:
        """Back to the login page, which returns here afterwards.

        A full page load, not the router's: a tab whose state the server lost (Redis restarted
        without its data) reaches here with an empty token while the browser still holds a good
        one, and only a page load hands the browser's token to the server again; the login page
        then sends the tab straight back."""
        self._forget_identity()
        path = self.router.url.path.rstrip("/")
        url = "/login/" + (f"?next={quote(path)}" if path else "")  # "/login/": the page's own file
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    def _forget_identity(self) -> None:
        if self.token:  # an empty token is a lost state's: the browser's own copy must survive
            self.token = ""
        if self.download_key:
            self.download_key = ""
        self._page_key = ""
        self.display_name = self.role_label = self.unit_name = ""
        self.allowed_keys = []
        self.allowed_groups = []
        self.login_error = self.login_error_field = ""

    def _show_identity(self, p: Principal) -> None:
        self.display_name = p.display_name
        self.role_label = p.role.label
        self.unit_name = p.unit_name
        self.allowed_keys = menu.visible_keys(p.role)
        self.allowed_groups = menu.visible_groups(p.role)

    # ------------------------------------------------------------ events
    @event
    async def enter_page(self, key: str):
        """on_load guard of every page behind the login; a page it lets in is loaded in this same event
        (one round trip, not two: compat.run_here)."""
        if key != self._page_key:  # a new page: hide the old one until checked
            self.page_status = "loading"
        self._page_key = key
        self.served_by = db.node()
        with self._session() as (_, p):
            pass
        if p is None:
            return self._to_login()
        self._show_identity(p)
        self.page_status = "ok" if can(p, VIEW, key) else "forbidden"
        if self.page_status == "ok":
            loader = served().loader(key)
            if loader is None:
                return None
            ran, result = await run_here(self, loader)
            return result if ran else loader

    @event
    def enter_login(self):
        # No clearing of login_error here: a quick user's submit can be answered before this
        # on_load runs, and its message must stay (errors are cleared on logout and on success).
        with self._session() as (_, p):
            pass
        if p is not None:
            return rx.redirect(_safe_next(self.router.url.query_parameters.get("next")))

    @event
    async def login(self, form: dict):
        username = str(form.get("username", ""))
        password = str(form.get("password", ""))
        # In a thread: the password hash takes ~0.1 s of CPU by design, and a sync handler would
        # hold this worker's event loop (every other tab on it) for that long; argon2 releases the GIL.
        # The client address as Reflex resolves it (X-Forwarded-For only through trusted_proxy_hops).
        result = await asyncio.to_thread(_login, username, password, self.router.session.client_ip)
        if not result.ok:
            self.login_error = result.message
            self.login_error_field = result.field
            return
        self.login_error = self.login_error_field = ""
        self.token, self.download_key = result.token, result.download_key
        return rx.redirect(_safe_next(self.router.url.query_parameters.get("next")))

    @event
    def logout(self):
        with db.session_scope() as s:
            auth.logout(s, self.token)
        self._forget_identity()
        return rx.redirect("/login")

"""AdminSite: the one place where declarations become an application.

    site = AdminSite(menu.ENTRIES)
    site.register(RoomAdmin)            # or @site.register on the class, or site.register_all(pages.housing)
    site.finalize()                     # checks everything, then grants and builds the labels

Nothing is registered by importing a module: the app builds its site (clss_app/site.py), tests and
benchmarks build their own. ``finalize()`` runs the start-up checks (checks.py) and raises with
every problem listed; only a clean site grants its roles (the menu's ``view``, each admin's
create/update/delete/export/import and ``action:<name>``) and builds the audit labels, keyed by
(resource, action).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, SQLModel, select

from clss_app.admin import audit, checks, ordering
from clss_app.admin.fields import column
from clss_app.admin.query import labels_for
from clss_app.admin.view import ModelAdmin, Roles
from clss_app.services.permissions import CREATE, DELETE, EXPORT, IMPORT, UPDATE, VIEW, grant

T = TypeVar("T")


class MenuEntryLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def route(self) -> str: ...
    @property
    def roles(self) -> frozenset[Any]: ...


class SiteCheckFailed(Exception):
    """The declarations hold mistakes; the app does not start until they are fixed."""

    def __init__(self, problems: list[checks.Problem]):
        super().__init__("\n".join(["管理声明有误（python -m clss_app.manage check）:", *map(str, problems)]))
        self.problems = problems


@dataclass(frozen=True)
class Page:
    key: str
    body: Callable[[], Any]  # builds the page's component
    load: Any = None  # the event that loads its data once the page guard said yes


class AdminSite:
    def __init__(self, menu: Mapping[str, MenuEntryLike] | None = None):
        self.menu: dict[str, MenuEntryLike] = dict(menu or {})
        self._admins: dict[str, type[ModelAdmin]] = {}
        self._dashboards: dict[str, Any] = {}
        self.extra_grants: list[tuple[str, str, Roles]] = []
        self._extra_labels: dict[tuple[str, str], str] = {}
        self.registration_problems: list[checks.Problem] = []
        # (resource, action code) or action code -> label; filled at finalize, read by the audit log
        self.audit_labels: dict[Any, str] = {}
        self.pages: dict[str, Page] = {}
        self.finalized = False

    # ------------------------------------------------------------ building
    def register(self, *items: T) -> T:
        """Register admins or dashboards; usable as a decorator (returns the first item)."""
        for item in items:
            if isinstance(item, type) and issubclass(item, ModelAdmin) and "key" in vars(item):
                self._add(self._admins, item.key, item)  # item.site is set at finalize: a site only checked
                if item.ordering:  # (manage check) takes nothing from the site that serves the app
                    item.actions = [
                        *[a for a in item.actions if not a.name.startswith("move_")],
                        *ordering.movers(item),
                    ]
            elif isinstance(item, type) and "key" in vars(item) and hasattr(item, "widgets"):
                self._add(self._dashboards, vars(item)["key"], item)
            else:
                self.registration_problems.append(
                    checks.Problem("site", "register", f"{item!r} is not a ModelAdmin or Dashboard with a key")
                )
        return items[0]

    def _add(self, into: dict[str, Any], key: str, item: type) -> None:
        if key in self._admins or key in self._dashboards:
            other = (self._admins.get(key) or self._dashboards[key]).__name__
            self.registration_problems.append(
                checks.Problem(item.__name__, "key", f"`{key}`: {other} is registered with that key already")
            )
        into[key] = item

    def register_all(self, *modules: ModuleType) -> None:
        """Every admin and dashboard a module declares, in the order it declares them."""
        for module in modules:
            for item in vars(module).values():
                if isinstance(item, type) and item.__module__ == module.__name__ and "key" in vars(item):
                    self.register(item)

    def grant(self, resource: str, action: str, roles: Roles) -> None:
        """A grant beyond the declarations (e.g. exporting a custom page's figures), made at finalize."""
        self.extra_grants.append((resource, action, roles))

    def label(self, resource: str, action: str, label: str) -> None:
        """How the audit log names an action recorded outside the admins (the board's ``action:lock``)."""
        self._extra_labels[(resource, action)] = label

    def add_page(self, key: str, body: Callable[[], Any], load: Any = None) -> None:
        self.pages[key] = Page(key, body, load)

    # ------------------------------------------------------------ finalize
    def check(self) -> list[checks.Problem]:
        return checks.check_site(self)

    def finalize(self) -> AdminSite:
        problems = self.check()
        if problems:
            raise SiteCheckFailed(problems)
        self.audit_labels.clear()
        self.audit_labels.update(audit.ACTION_LABELS)
        self.audit_labels.update(self._extra_labels)
        for admin in self._admins.values():
            self.audit_labels.update({(admin.key, f"action:{a.name}"): a.label for a in admin.actions})
        for entry in self.menu.values():
            grant(entry.key, VIEW, entry.roles)
        for admin in self._admins.values():
            admin.bind(self)
            for action, roles in (
                (CREATE, admin.can_create),
                (UPDATE, admin.can_update),
                (DELETE, admin.can_delete),
                (EXPORT, admin.can_export),
                (IMPORT, admin.can_import),
            ):
                grant(admin.key, action, roles)
            for a in admin.actions:
                grant(admin.key, f"action:{a.name}", a.roles)
        for dash in self._dashboards.values():  # 导出Excel of a dashboard's tables: who sees them, or fewer
            page = self.menu.get(dash.key)
            if dash.offers_export() and page is not None:
                grant(dash.key, EXPORT, dash.can_export if dash.can_export is not None else page.roles)
        for resource, action, roles in self.extra_grants:
            grant(resource, action, roles)
        self.finalized = True
        return self

    def serve(self) -> AdminSite:
        """Make this the site the running app's states read (``served()``)."""
        global _served
        _served = self
        return self

    # ------------------------------------------------------------ reading
    def __contains__(self, key: object) -> bool:
        return key in self._admins

    def admin(self, key: str) -> type[ModelAdmin]:
        return self._admins[key]

    def admins(self) -> list[type[ModelAdmin]]:
        return list(self._admins.values())

    def dashboard(self, key: str) -> Any | None:
        return self._dashboards.get(key)

    def dashboards(self) -> list[Any]:
        return list(self._dashboards.values())

    def loader(self, key: str) -> Any:
        page = self.pages.get(key)
        return page.load if page else None

    def scoped_admin_for(self, model: type[SQLModel]) -> type[ModelAdmin] | None:
        """The admin that limits ``model``'s rows to a data scope (so a picker of them must too)."""
        return next((a for a in self._admins.values() if a.model is model and a.scope), None)

    def option_hints(self, session: Session, model: type[SQLModel], ids: Iterable[int]) -> dict[int, str]:
        """{id: hint} for picker options of ``model``, from the picker_hint its admin declares."""
        admin = next((a for a in self._admins.values() if a.model is model and a.picker_hint), None)
        ids = list(ids)
        if admin is None or not ids:
            return {}
        pk = column(model, "id")
        owners = dict(session.exec(select(pk, column(model, admin.picker_hint)).where(pk.in_(ids))).all())
        spec = admin.fields[admin.picker_hint]
        if spec.kind != "fk":  # a text field: its value (a person's login beside the name)
            return {i: str(o or "") for i, o in owners.items()}
        labels = labels_for(session, spec, owners.values())
        return {i: str(labels.get(o, "")) for i, o in owners.items()}


_served: AdminSite | None = None


def served() -> AdminSite:
    """The site of the running app (AdminSite.serve), for the Reflex states that serve its pages."""
    if _served is None:
        raise RuntimeError("no AdminSite is served: build the app's site first (clss_app.site.app_site())")
    return _served

"""A throw-away room list declared in a test, and what the start-up checks say of it."""

from clss_app.admin import ModelAdmin, Scope
from clss_app.admin.site import AdminSite
from clss_app.menu import MenuEntry
from models import Role, Room

ENTRY = MenuEntry("t_rooms", "房间", "/t/rooms", frozenset({Role.SUPER_ADMIN}))


def problems(*admins, menu=None) -> list[str]:
    site = AdminSite(menu if menu is not None else {ENTRY.key: ENTRY})
    for a in admins:
        site.register(a)
    return [str(p) for p in site.check()]


def room_problems(**options) -> list[str]:
    """The checks' findings on a room list with ``options`` over a minimal clean declaration."""
    base = {"list_columns": ["number"], "scope": Scope.project("project_id")}
    return problems(type("RoomAdmin", (ModelAdmin,), {**base, **options}, model=Room, key="t_rooms"))

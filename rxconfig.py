import os

import reflex as rx

from clss_app import compat, settings

# One worker keeps page state in memory (the disk manager pickles every state
# after every event); several workers share it through Redis.
_mode = rx.constants.StateManagerMode.REDIS if settings.redis_url() else rx.constants.StateManagerMode.MEMORY
if settings.redis_url():
    # A tab's events all reach the worker holding its websocket: that worker keeps the tab's state
    # (and its Redis lock) between events instead of reading and writing it back every time, and
    # hands it over when another worker asks (an upload arriving elsewhere). Measured with the load
    # test (50 sessions, 3 workers): list p95 604 ms without, 138 ms with; and without it a tab's
    # on_load now and then waited 30 s on the Redis lock (a lost wake-up in Reflex 0.10.1).
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

compat.respawn_crashed_workers()  # one crashed worker no longer stops the others

config = rx.Config(
    app_name="clss_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Several workers need Redis as the state manager (CLSS_REDIS_URL).
    redis_url=settings.redis_url(),
    # A long import or a dashboard's first read holds a tab's state lock for seconds; Reflex's 10 s
    # default would cut such an event off. Tab states live as long as a login.
    redis_lock_expiration=30_000,
    redis_token_expiration=settings.SESSION_HOURS * 3600,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="blue", gray_color="slate", radius="medium", appearance="light")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    state_manager_mode=_mode,
)

import reflex as rx

from clss_app import settings

# One worker keeps page state in memory (the disk manager pickles every state
# after every event); several workers share it through Redis.
_state = {} if settings.redis_url() else {"state_manager_mode": rx.constants.StateManagerMode.MEMORY}

config = rx.Config(
    app_name="clss_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Several workers need Redis as the state manager (CLSS_REDIS_URL).
    redis_url=settings.redis_url(),
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(
        accent_color="blue", gray_color="slate", radius="medium", appearance="light"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
    **_state,
)

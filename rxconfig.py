import reflex as rx

from clss_app import settings

config = rx.Config(
    app_name="clss_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Several workers need Redis as the state manager (CLSS_REDIS_URL).
    redis_url=settings.redis_url(),
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(
        accent_color="blue", gray_color="slate", radius="medium", appearance="light"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

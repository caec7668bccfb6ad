"""Reflex configuration, derived from chat_crm.config (the one place for settings)."""

import reflex as rx

from chat_crm.config import get_settings

settings = get_settings()

config = rx.Config(
    app_name="chat_crm",
    # The websocket and API accept only the app's own origin (DESIGN.md: "*" lets any site in).
    cors_allowed_origins=[settings.base_url],
    api_url=settings.base_url,
    deploy_url=settings.base_url,
    # The database is the source of truth, so the embedded default keeps states in memory;
    # scale-out keeps them in Redis.
    state_manager_mode="redis" if settings.redis_url else "memory",
    redis_url=settings.redis_url or None,
    show_built_with_reflex=False,
    telemetry_enabled=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="blue", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

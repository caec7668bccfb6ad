"""Every setting of «Чат», read from the environment in one place.

Tests override settings by setting environment variables before the app starts,
or by calling ``reload_settings()`` after changing them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    """The typed settings object: built once from the environment."""

    database_url: str
    redis_url: str
    base_url: str
    data_dir: Path
    time_zone: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_sender: str
    smtp_starttls: bool
    # Attachments live here, outside every public folder (DESIGN.md: /_upload is public).
    attachments_dir: Path = field(default=Path("data/attachments"))
    max_upload_bytes: int = 40 * 1024 * 1024
    session_days: int = 30
    # How often the background task looks for dialogs due to close (B9).
    timer_interval_seconds: float = 15.0
    # A closed tab's in-memory Reflex state is kept this long for a reconnect (a network blip,
    # a laptop waking up), then freed, rather than after Reflex's hour. A tab that comes back
    # later rebuilds its screen from its cookie and the database, as on a reload.
    closed_tab_state_seconds: float = 900.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def _build() -> Settings:
    data_dir = Path(_env("CHAT_DATA_DIR") or PROJECT_ROOT / "data")
    return Settings(
        database_url=_env("DATABASE_URL") or f"sqlite:///{data_dir / 'chat.db'}",
        redis_url=_env("REDIS_URL"),
        base_url=(_env("PUBLIC_BASE_URL") or "http://localhost:3000").rstrip("/"),
        data_dir=data_dir,
        time_zone=_env("PARTNER_TIME_ZONE") or "Europe/Moscow",
        smtp_host=_env("SMTP_HOST") or "localhost",
        smtp_port=_env_int("SMTP_PORT", 25),
        smtp_user=_env("SMTP_USER"),
        smtp_password=_env("SMTP_PASSWORD"),
        smtp_sender=_env("SMTP_SENDER") or "chat@localhost",
        smtp_starttls=_env("SMTP_STARTTLS") == "1",
        attachments_dir=Path(_env("ATTACHMENTS_DIR") or data_dir / "attachments"),
        max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", 40 * 1024 * 1024),
        timer_interval_seconds=float(_env("TIMER_INTERVAL_SECONDS") or 15),
        closed_tab_state_seconds=float(_env("CLOSED_TAB_STATE_SECONDS") or 900),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return _build()


def reload_settings() -> Settings:
    """Re-read the environment (tests change it between cases)."""
    get_settings.cache_clear()
    return get_settings()

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
    # Sessions and login (issue 9). A staff session ends after this long without a request,
    # and in any case ``session_days`` after the login.
    session_idle_minutes: int = 480
    # Failed logins of one account before it locks (1, 2, 4… minutes, up to the cap);
    # one address may fail more often (an office behind one NAT).
    login_max_failures: int = 5
    login_ip_max_failures: int = 20
    login_lock_max_minutes: int = 60
    # How long the database waits on another writer's lock before «База данных занята».
    db_busy_timeout_seconds: float = 4.0
    # Messages one client or one employee may send per window (issue 9), counted in the database.
    message_rate_limit: int = 20
    message_rate_window_seconds: float = 10.0
    # Uploads (issue 9): a file picked but never sent is deleted after this long; the sweep
    # looks for due files this often. Each client and each employee may upload this many files
    # and bytes per window; all unsent files together may hold at most this much (0: no bound).
    staged_upload_ttl_seconds: int = 3600
    staged_sweep_seconds: float = 60.0
    upload_quota_files: int = 60
    upload_quota_bytes: int = 400 * 1024 * 1024
    upload_quota_window_seconds: int = 3600
    staged_upload_max_total_bytes: int = 4 * 1024 * 1024 * 1024
    # The mobile API (P15). Client tokens are HS256 JWTs signed with this secret by the
    # partner's backend; empty: one is made on first start and kept in the data folder (0600).
    api_jwt_secret: str = ""
    api_token_hours: int = 24 * 30  # what the anonymous-visitor and demo tokens live
    api_rate_limit: int = 120  # requests per token per window, then 429 with Retry-After
    api_rate_window_seconds: int = 60
    api_visitors_per_hour: int = 30  # new anonymous visitors per address per hour (0: no issuer)
    # Staff alerts (issue 11): the outbox loop looks for due pushes and mails this often; a
    # failed one waits backoff·2^(n-1) (jittered, at most the max) and is given up after
    # ``outbox_max_attempts``; a claimed one whose worker died is retried after the lease.
    outbox_interval_seconds: float = 2.0
    outbox_backoff_seconds: float = 10.0
    outbox_backoff_max_seconds: float = 1800.0
    outbox_max_attempts: int = 12
    outbox_lease_seconds: float = 120.0
    # Web Push: the VAPID «sub» claim and how long a push service keeps an undelivered push.
    vapid_subject: str = "mailto:chat@localhost"
    push_ttl_seconds: int = 86400
    # Without SMTP_HOST, mails are written here as .eml files (the demo default).
    mail_dir: Path = field(default=Path("data/mail"))

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

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
        smtp_host=_env("SMTP_HOST"),  # empty: mails go to MAIL_DIR as .eml files
        smtp_port=_env_int("SMTP_PORT", 25),
        smtp_user=_env("SMTP_USER"),
        smtp_password=_env("SMTP_PASSWORD"),
        smtp_sender=_env("SMTP_SENDER") or "chat@localhost",
        smtp_starttls=_env("SMTP_STARTTLS") == "1",
        attachments_dir=Path(_env("ATTACHMENTS_DIR") or data_dir / "attachments"),
        max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", 40 * 1024 * 1024),
        timer_interval_seconds=float(_env("TIMER_INTERVAL_SECONDS") or 15),
        closed_tab_state_seconds=float(_env("CLOSED_TAB_STATE_SECONDS") or 900),
        session_days=_env_int("SESSION_MAX_DAYS", 7),
        session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 480),
        login_max_failures=_env_int("LOGIN_MAX_FAILURES", 5),
        login_ip_max_failures=_env_int("LOGIN_IP_MAX_FAILURES", 20),
        login_lock_max_minutes=_env_int("LOGIN_LOCK_MAX_MINUTES", 60),
        db_busy_timeout_seconds=float(_env("DB_BUSY_TIMEOUT_SECONDS") or 4),
        staged_upload_ttl_seconds=_env_int("STAGED_UPLOAD_TTL_SECONDS", 3600),
        staged_sweep_seconds=float(_env("STAGED_SWEEP_SECONDS") or 60),
        upload_quota_files=_env_int("UPLOAD_QUOTA_FILES", 60),
        upload_quota_bytes=_env_int("UPLOAD_QUOTA_BYTES", 400 * 1024 * 1024),
        upload_quota_window_seconds=_env_int("UPLOAD_QUOTA_WINDOW_SECONDS", 3600),
        staged_upload_max_total_bytes=_env_int("STAGED_UPLOAD_MAX_TOTAL_BYTES", 4 * 1024**3),
        message_rate_limit=_env_int("MESSAGE_RATE_LIMIT", 20),
        message_rate_window_seconds=float(_env("MESSAGE_RATE_WINDOW_SECONDS") or 10),
        api_jwt_secret=_env("API_JWT_SECRET"),
        api_token_hours=_env_int("API_TOKEN_HOURS", 24 * 30),
        api_rate_limit=_env_int("API_RATE_LIMIT", 120),
        api_rate_window_seconds=_env_int("API_RATE_WINDOW_SECONDS", 60),
        api_visitors_per_hour=_env_int("API_VISITORS_PER_HOUR", 30),
        outbox_interval_seconds=float(_env("OUTBOX_INTERVAL_SECONDS") or 2),
        outbox_backoff_seconds=float(_env("OUTBOX_BACKOFF_SECONDS") or 10),
        outbox_backoff_max_seconds=float(_env("OUTBOX_BACKOFF_MAX_SECONDS") or 1800),
        outbox_max_attempts=_env_int("OUTBOX_MAX_ATTEMPTS", 12),
        outbox_lease_seconds=float(_env("OUTBOX_LEASE_SECONDS") or 120),
        vapid_subject=_env("VAPID_SUBJECT") or f"mailto:{_env('SMTP_SENDER') or 'chat@localhost'}",
        push_ttl_seconds=_env_int("PUSH_TTL_SECONDS", 86400),
        mail_dir=Path(_env("MAIL_DIR") or data_dir / "mail"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return _build()


def reload_settings() -> Settings:
    """Re-read the environment (tests change it between cases)."""
    get_settings.cache_clear()
    return get_settings()

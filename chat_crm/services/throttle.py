"""Login throttling: per account and per address, in the database so it holds across workers.

After ``login_max_failures`` failures of an account (``login_ip_max_failures`` of an
address) the key locks for 1 minute, then 2, 4… up to ``login_lock_max_minutes``, one
step more with each further failure. A quiet day forgets the count. Every change is one
atomic UPDATE first (then an INSERT if the key is new), so two workers counting the same
key never lose a failure and SQLite takes its write lock before reading.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from chat_crm.config import get_settings
from chat_crm.db import read_session, unit_of_work
from chat_crm.models import LoginThrottle, utcnow
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

FORGET_AFTER = timedelta(days=1)


def keys_for(email: str, client_ip: str) -> list[str]:
    keys = [f"email:{email[:300]}"]
    if client_ip:
        keys.append(f"ip:{client_ip[:300]}")
    return keys


def _limit(key: str) -> int:
    settings = get_settings()
    return settings.login_ip_max_failures if key.startswith("ip:") else settings.login_max_failures


def _lock_for(key: str, failures: int) -> timedelta | None:
    over = failures - _limit(key)
    if over < 0:
        return None
    minutes = min(2 ** min(over, 20), get_settings().login_lock_max_minutes)
    return timedelta(minutes=minutes)


def locked_minutes(keys: list[str], now: datetime | None = None) -> int:
    """Whole minutes until every key is free again; 0 when none is locked."""
    now = now or utcnow()
    with read_session() as session:
        rows = session.exec(select(LoginThrottle.locked_until).where(col(LoginThrottle.key).in_(keys))).all()
    until = max((u for u in rows if u is not None and u > now), default=None)
    return math.ceil((until - now).total_seconds() / 60) if until else 0


def check(keys: list[str]) -> None:
    """Raise the Russian «Слишком много попыток входа…» while a key is locked."""
    minutes = locked_minutes(keys)
    if minutes:
        raise ServiceError(t("login.locked", minutes=minutes))


def record_failure(keys: list[str]) -> None:
    now = utcnow()
    for key in keys:
        for _attempt in range(3):
            try:
                _count(key, now)
                break
            except IntegrityError:  # another worker inserted the key first: count again
                continue


def _count(key: str, now: datetime) -> None:
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    stale = table.c.last_failure_at < now - FORGET_AFTER
    with unit_of_work() as work:
        result = work.session.execute(
            sa.update(table)
            .where(table.c.key == key)
            .values(failures=sa.case((stale, 1), else_=table.c.failures + 1), last_failure_at=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            work.session.add(LoginThrottle(key=key, failures=1, last_failure_at=now))
            work.session.flush()
        failures = work.session.execute(sa.select(table.c.failures).where(table.c.key == key)).scalar_one()
        lock = _lock_for(key, failures)
        if lock is not None:
            work.session.execute(sa.update(table).where(table.c.key == key).values(locked_until=now + lock))


def record_success(keys: list[str]) -> None:
    """A right password clears the account's count; the address keeps its own."""
    account = [k for k in keys if k.startswith("email:")]
    with unit_of_work() as work:
        work.session.execute(sa.delete(LoginThrottle).where(col(LoginThrottle.key).in_(account)))

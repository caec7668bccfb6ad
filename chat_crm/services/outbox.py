"""The durable outbox: pushes and e-mails written with their cause, delivered by any worker (N1, N3).

``enqueue_*`` add a row to the CALLER's transaction, so an alert exists exactly when the
message or assignment that caused it committed. ``deliver_due`` (a lifespan loop in every
worker) claims a due row with one conditional UPDATE that also pushes its ``next_attempt_at``
a lease ahead: two workers never hold one row, and a row whose worker was killed becomes due
again when the lease runs out. A row is marked sent right after the push service or SMTP
server accepted it; e-mails carry a Message-ID made from the row id, so the rare resend after
a crash between «accepted» and «marked» is deduplicated by the mail systems.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.db import get_engine
from chat_crm.models import utcnow
from chat_crm.models.notify import OutboxItem, OutboxStatus

log = logging.getLogger(__name__)

PUSH = "push"
EMAIL = "email"


class RetryLater(Exception):  # noqa: N818 - a signal, not an error of the caller
    """The channel is down for now (5xx, 429, network): try again after the backoff.

    ``progress`` is merged into the row's payload (e.g. the subscriptions already served),
    so a retry does not repeat what already went out.
    """

    def __init__(self, reason: str, progress: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.progress = progress or {}


class GiveUp(Exception):  # noqa: N818
    """The item can never be delivered (no such employee, a malformed row): mark it failed."""


def enqueue_push(
    session: Session,
    *,
    employee_id: int | None = None,
    client_id: int | None = None,
    title: str,
    body: str,
    url: str,
    tag: str = "",
    only_if: sa.ColumnElement[bool] | None = None,
) -> None:
    """A push to every browser the employee (or the client's phone page) subscribed.

    ``only_if`` (e.g. "has a subscription") is checked by the INSERT itself: one statement
    either way, which matters on a message's send path."""
    if (employee_id is None) == (client_id is None):
        raise ValueError("a push goes to exactly one employee or one client")
    payload = {"title": title, "body": body, "url": url, "tag": tag}
    if only_if is None:
        session.add(OutboxItem(channel=PUSH, employee_id=employee_id, client_id=client_id, payload=payload))
        return
    items = OutboxItem.__table__  # type: ignore[attr-defined]
    now = utcnow()
    values = {
        "channel": PUSH,
        "employee_id": employee_id,
        "client_id": client_id,
        "payload": payload,
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
    row = sa.select(*(sa.literal(v, items.c[k].type) for k, v in values.items())).where(only_if)
    session.execute(sa.insert(items).from_select(list(values), row))


def enqueue_email(session: Session, *, employee_id: int, subject: str, text: str, html: str) -> OutboxItem:
    """A mail to the employee's address (read at delivery, so an edited address is used)."""
    item = OutboxItem(
        channel=EMAIL,
        employee_id=employee_id,
        payload={"subject": subject, "text": text, "html": html},
    )
    session.add(item)
    return item


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds until ``lease_until``; ``attempt`` fences the later updates."""

    id: int
    channel: str
    employee_id: int | None
    client_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1


def backoff_delay(attempt: int) -> float:
    """Seconds before retry number ``attempt`` + 1: exponential, capped, with jitter."""
    s = get_settings()
    delay = min(s.outbox_backoff_max_seconds, s.outbox_backoff_seconds * 2 ** max(attempt - 1, 0))
    # Jitter spreads the retries of many rows that failed together (an SMTP outage).
    return delay * random.uniform(0.8, 1.0)


def _claim(session: Session, row_id: int, seen_attempts: int, now: datetime) -> bool:
    lease_until = now + timedelta(seconds=get_settings().outbox_lease_seconds)
    t = OutboxItem.__table__  # type: ignore[attr-defined]
    result = session.execute(
        sa.update(t)
        .where(
            t.c.id == row_id,
            t.c.status == OutboxStatus.pending.value,
            t.c.next_attempt_at <= now,
            t.c.attempts == seen_attempts,
        )
        .values(attempts=seen_attempts + 1, next_attempt_at=lease_until)
    )
    session.commit()
    return result.rowcount == 1


def claim_due(*, now: datetime | None = None, limit: int = 20) -> list[Claimed]:
    """Due rows, each claimed by this worker alone (a lost race skips the row)."""
    now = now or utcnow()
    claimed: list[Claimed] = []
    with Session(get_engine(), expire_on_commit=False) as session:
        due = session.exec(
            select(OutboxItem)
            .where(col(OutboxItem.status) == OutboxStatus.pending, col(OutboxItem.next_attempt_at) <= now)
            .order_by(col(OutboxItem.next_attempt_at))
            .limit(limit)
        ).all()
        for row in due:
            if row.id is not None and _claim(session, row.id, row.attempts, now):
                claimed.append(
                    Claimed(
                        row.id,
                        row.channel,
                        row.employee_id,
                        row.client_id,
                        dict(row.payload),
                        row.attempts + 1,
                    )
                )
    return claimed


def _finish(item: Claimed, **values: Any) -> None:
    t = OutboxItem.__table__  # type: ignore[attr-defined]
    with Session(get_engine()) as session:
        # Fenced by the attempt: a worker whose lease ran out may not overwrite the next one's.
        session.execute(sa.update(t).where(t.c.id == item.id, t.c.attempts == item.attempt).values(**values))
        session.commit()


def _handler(channel: str) -> Callable[[Claimed], None]:
    if channel == PUSH:
        from chat_crm.services import webpush

        return webpush.deliver
    if channel == EMAIL:
        from chat_crm.services import mail

        return mail.deliver
    raise GiveUp(f"unknown channel {channel!r}")


def deliver_one(item: Claimed, *, now: datetime | None = None) -> OutboxStatus:
    """Send one claimed row and record the outcome: sent, retried later, or failed."""
    try:
        _handler(item.channel)(item)
    except RetryLater as err:
        now = now or utcnow()
        payload = {**item.payload, **err.progress}
        if item.attempt >= get_settings().outbox_max_attempts:
            _finish(item, status=OutboxStatus.failed.value, last_error=str(err)[:1000], payload=payload)
            return OutboxStatus.failed
        retry_at = now + timedelta(seconds=backoff_delay(item.attempt))
        _finish(item, next_attempt_at=retry_at, last_error=str(err)[:1000], payload=payload)
        return OutboxStatus.pending
    except GiveUp as err:
        _finish(item, status=OutboxStatus.failed.value, last_error=str(err)[:1000])
        return OutboxStatus.failed
    _finish(item, status=OutboxStatus.sent.value, sent_at=now or utcnow(), last_error="")
    return OutboxStatus.sent


def deliver_due(*, now: datetime | None = None, limit: int = 20) -> int:
    """One round of the delivery loop; returns how many rows were sent."""
    sent = 0
    for _ in range(limit):
        # One row claimed at a time: a lease covers only the send under way, so a slow SMTP
        # server cannot keep rows waiting here until their leases run out elsewhere.
        claimed = claim_due(now=now, limit=1)
        if not claimed:
            break
        try:
            if deliver_one(claimed[0], now=now) is OutboxStatus.sent:
                sent += 1
        except Exception:  # a bug in one channel must not starve the others; the lease retries it
            log.exception("outbox item %s failed unexpectedly", claimed[0].id)
    return sent

"""Web Push for employees' browsers and the client's phone page (N1, N2, N3).

The VAPID key pair is made on the first start and kept in ``<data dir>/vapid_private.pem``
(mode 0600). Concurrent first starts agree on one key: each writes its own candidate to a
private temporary file and hard-links it into place; ``link`` fails if the file exists, so
exactly one candidate wins and the others read it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlmodel import Session, col, select

from chat_crm.config import get_settings
from chat_crm.db import get_engine, unit_of_work
from chat_crm.models import Employee, utcnow
from chat_crm.models.notify import PushSubscription
from chat_crm.services.errors import ServiceError
from chat_crm.services.outbox import Claimed, GiveUp, RetryLater
from chat_crm.texts import t

KEY_FILE = "vapid_private.pem"
GONE = frozenset({404, 410})


def _key_path() -> Path:
    return get_settings().data_dir / KEY_FILE


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = Vapid02()
    candidate.generate_keys()
    pem = candidate.private_pem()
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic: the first start wins, the others read its key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


@lru_cache(maxsize=4)
def _vapid_for(path: str) -> Vapid02:
    p = Path(path)
    if not p.exists():
        _create_key_file(p)
    return Vapid02.from_pem(p.read_bytes())


def vapid() -> Vapid02:
    return _vapid_for(str(_key_path()))


def public_key() -> str:
    """The application server key for ``pushManager.subscribe`` (base64url, uncompressed P-256)."""
    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(raw)


# ---- subscriptions -------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionInput:
    endpoint: str
    p256dh: str
    auth: str


def parse_subscription(data: Any) -> SubscriptionInput:
    """A browser's ``PushSubscription.toJSON()``, checked: refused with a Russian message."""
    if not isinstance(data, dict):
        raise ServiceError(t("push.bad_subscription"), field="subscription")
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not isinstance(keys, dict) or len(endpoint) > 1000:
        raise ServiceError(t("push.bad_subscription"), field="subscription")
    url = urlparse(endpoint)
    if url.scheme not in ("https", "http") or not url.netloc:
        raise ServiceError(t("push.bad_endpoint"), field="endpoint")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(p256dh, str) and isinstance(auth, str)) or len(p256dh) > 200 or len(auth) > 100:
        raise ServiceError(t("push.bad_keys"), field="keys")
    try:
        point, secret = _b64url_decode(p256dh), _b64url_decode(auth)
    except (ValueError, TypeError) as err:
        raise ServiceError(t("push.bad_keys"), field="keys") from err
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise ServiceError(t("push.bad_keys"), field="keys")
    return SubscriptionInput(endpoint, p256dh, auth)


def subscribe(
    sub: SubscriptionInput, *, employee_id: int | None = None, client_id: int | None = None
) -> None:
    """Keep the browser's subscription for the principal; a re-subscribe moves the endpoint."""
    if (employee_id is None) == (client_id is None):
        raise ValueError("a subscription belongs to exactly one employee or one client")
    with unit_of_work() as work:
        row = work.session.exec(
            select(PushSubscription).where(col(PushSubscription.endpoint) == sub.endpoint)
        ).first()
        row = row or PushSubscription(endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth)
        row.p256dh, row.auth = sub.p256dh, sub.auth
        row.employee_id, row.client_id, row.created_at = employee_id, client_id, utcnow()
        work.session.add(row)


def unsubscribe(endpoint: str, *, employee_id: int | None = None, client_id: int | None = None) -> bool:
    """Forget the endpoint, only if it is the caller's own."""
    with unit_of_work() as work:
        row = work.session.exec(
            select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint)
        ).first()
        mine = row is not None and (
            (employee_id is not None and row.employee_id == employee_id)
            or (client_id is not None and row.client_id == client_id)
        )
        if row is not None and mine:
            work.session.delete(row)
        return mine


def subscriptions_of(*, employee_id: int | None, client_id: int | None) -> list[PushSubscription]:
    with Session(get_engine(), expire_on_commit=False) as session:
        owner = (
            col(PushSubscription.employee_id) == employee_id
            if employee_id is not None
            else col(PushSubscription.client_id) == client_id
        )
        return list(session.exec(select(PushSubscription).where(owner).order_by(col(PushSubscription.id))))


def _active(employee_id: int) -> bool:
    with Session(get_engine()) as session:
        employee = session.get(Employee, employee_id)
        return employee is not None and employee.is_active


def _forget(subscription_id: int) -> None:
    with unit_of_work() as work:
        row = work.session.get(PushSubscription, subscription_id)
        if row is not None:
            work.session.delete(row)


# ---- sending -------------------------------------------------------------------------------


def _send_one(sub: PushSubscription, data: str) -> int:
    """The push service's status; 0 for a network failure."""
    try:
        response = webpush(
            {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=data,
            vapid_private_key=vapid(),
            vapid_claims={"sub": get_settings().vapid_subject},
            ttl=get_settings().push_ttl_seconds,
            timeout=10,
        )
        return int(getattr(response, "status_code", 201))
    except WebPushException as err:
        return int(err.response.status_code) if err.response is not None else 0
    except requests.RequestException:
        return 0


def deliver(item: Claimed) -> None:
    """The outbox's handler for push rows: every subscription of the principal, once each.

    404/410 mean the browser dropped the subscription: it is deleted. 429, 5xx and network
    failures are retried; the subscriptions already served are remembered in the payload.
    """
    if item.employee_id is None and item.client_id is None:
        raise GiveUp("push without a recipient")
    if item.employee_id is not None and not _active(item.employee_id):
        raise GiveUp("the employee was deactivated")  # their browsers hear nothing more
    done = set(item.payload.get("done", []))
    data = json.dumps(
        {k: item.payload.get(k, "") for k in ("title", "body", "url", "tag")}, ensure_ascii=False
    )
    failures: list[str] = []
    for sub in subscriptions_of(employee_id=item.employee_id, client_id=item.client_id):
        if sub.id in done or sub.id is None:
            continue
        status = _send_one(sub, data)
        if status in GONE:
            _forget(sub.id)
        elif 200 <= status < 300:
            done.add(sub.id)
        elif status == 0 or status == 429 or status >= 500:
            failures.append(f"{status or 'network'} from {urlparse(sub.endpoint).netloc}")
        # any other 4xx: the push service will never take this push (e.g. too large): drop it
    if failures:
        raise RetryLater("push: " + ", ".join(failures), progress={"done": sorted(done)})

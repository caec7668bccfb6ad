"""Web Push: one VAPID key, checked subscriptions, and delivery to a loopback push service."""

from __future__ import annotations

import stat
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from chat_crm.db import unit_of_work
from chat_crm.models import Channel, utcnow
from chat_crm.models.notify import OutboxItem, OutboxStatus, PushSubscription
from chat_crm.push_routes import push_app
from chat_crm.routes import CLIENT_COOKIE, EMPLOYEE_COOKIE
from chat_crm.services import auth, outbox, webpush
from chat_crm.services.errors import ServiceError
from tests import factories, servers


@pytest.fixture
def employee(session: Session):
    return factories.employee(session, "m@demo.ru", role_row=factories.role(session, "Менеджер"))


def _push(employee_id: int) -> None:
    with unit_of_work() as work:
        outbox.enqueue_push(
            work.session,
            employee_id=employee_id,
            title="Новое сообщение в чате витрины №3",
            body="Здравствуйте",
            url="/support/chats/3",
            tag="chat-3",
        )


def _subs(session: Session) -> list[PushSubscription]:
    session.expire_all()
    return list(session.exec(select(PushSubscription)))


@pytest.mark.feature("N1")
def test_concurrent_first_starts_agree_on_one_private_key(sqlite_db: str) -> None:
    path = webpush._key_path()
    barrier = threading.Barrier(6)

    def start() -> None:
        barrier.wait()
        webpush._create_key_file(path)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".vapid")] == []
    key = webpush.public_key()
    webpush._vapid_for.cache_clear()
    assert webpush.public_key() == key and len(webpush._b64url_decode(key)) == 65


@pytest.mark.feature("N1", "N2")
def test_a_push_reaches_every_subscribed_browser_signed_and_encrypted(
    session: Session, employee, push_endpoint: servers.PushService
) -> None:
    for name in ("laptop", "phone"):
        webpush.subscribe(
            webpush.parse_subscription(push_endpoint.subscription(name)), employee_id=employee.id
        )
    _push(employee.id)
    assert outbox.deliver_due() == 1
    assert push_endpoint.refused == []  # the VAPID JWT verified against the app's public key
    assert sorted(r["path"] for r in push_endpoint.received) == ["/push/laptop", "/push/phone"]
    assert push_endpoint.received[0]["title"] == "Новое сообщение в чате витрины №3"
    assert push_endpoint.received[0]["url"] == "/support/chats/3"  # the click opens the chat (N2)


@pytest.mark.feature("N1")
@pytest.mark.parametrize("gone", [404, 410])
def test_a_gone_subscription_is_deleted(
    session: Session, employee, push_endpoint: servers.PushService, gone: int
) -> None:
    webpush.subscribe(webpush.parse_subscription(push_endpoint.subscription("old")), employee_id=employee.id)
    push_endpoint.answer("old", gone)
    _push(employee.id)
    outbox.deliver_due()
    assert _subs(session) == []
    assert session.exec(select(OutboxItem)).one().status == OutboxStatus.sent  # nothing left to retry


@pytest.mark.feature("N1")
def test_a_5xx_is_retried_and_the_browsers_already_served_are_not_pushed_again(
    session: Session, employee, push_endpoint: servers.PushService
) -> None:
    for name in ("ok", "flaky"):
        webpush.subscribe(
            webpush.parse_subscription(push_endpoint.subscription(name)), employee_id=employee.id
        )
    push_endpoint.answer("flaky", 500, 503)
    _push(employee.id)
    now = utcnow()
    for _ in range(2):
        assert outbox.deliver_due(now=now) == 0
        session.expire_all()
        row = session.exec(select(OutboxItem)).one()
        assert row.status == OutboxStatus.pending and ("500" in row.last_error or "503" in row.last_error)
        now = row.next_attempt_at + timedelta(seconds=1)
    assert outbox.deliver_due(now=now) == 1
    assert sorted(r["path"] for r in push_endpoint.received) == ["/push/flaky", "/push/ok"]  # once each
    assert len(_subs(session)) == 2


def test_subscriptions_are_checked_in_russian() -> None:
    good = {
        "endpoint": "https://push.example/abc",
        "keys": {"p256dh": webpush._b64url(b"\x04" + b"\x01" * 64), "auth": webpush._b64url(b"a" * 16)},
    }
    assert webpush.parse_subscription(good).endpoint == "https://push.example/abc"
    for bad, field in [
        ("x", "subscription"),
        ({**good, "endpoint": "javascript:alert(1)"}, "endpoint"),
        ({**good, "endpoint": "file:///etc/passwd"}, "endpoint"),
        ({**good, "keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}}, "keys"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "短"}}, "keys"),
    ]:
        with pytest.raises(ServiceError) as err:
            webpush.parse_subscription(bad)
        assert err.value.field == field and any("а" <= ch <= "я" for ch in err.value.message.lower())


@pytest.mark.feature("N1", "N3")
def test_the_routes_subscribe_whoever_the_session_cookie_names(session: Session, employee) -> None:
    staff_token = auth.login("m@demo.ru", "secret")
    client = factories.client(session)
    client_token = auth.start_client_session(client.id, Channel.ios)
    sub = servers.PushService().subscription("x")
    http = TestClient(push_app, base_url="http://127.0.0.1")

    assert len(webpush._b64url_decode(http.get("/push/key").json()["publicKey"])) == 65
    refused = http.post("/push/subscribe", json={"subscription": sub})
    assert refused.status_code == 401 and refused.json()["error"]
    bad = http.post(
        "/push/subscribe",
        json={"subscription": {"endpoint": "ftp://x", "keys": {}}},
        cookies={EMPLOYEE_COOKIE: staff_token},
    )
    assert bad.status_code == 400 and bad.json()["field"] == "endpoint"
    ok = http.post("/push/subscribe", json={"subscription": sub}, cookies={EMPLOYEE_COOKIE: staff_token})
    assert ok.json() == {"ok": True}
    assert [(s.employee_id, s.client_id) for s in _subs(session)] == [(employee.id, None)]
    # the same browser, now the client's phone page: the endpoint moves to the client
    http.post(
        "/push/subscribe", json={"as": "client", "subscription": sub}, cookies={CLIENT_COOKIE: client_token}
    )
    assert [(s.employee_id, s.client_id) for s in _subs(session)] == [(None, client.id)]
    # the employee may not unsubscribe the client's endpoint; the client may
    other = http.post(
        "/push/unsubscribe", json={"endpoint": sub["endpoint"]}, cookies={EMPLOYEE_COOKIE: staff_token}
    )
    assert other.status_code == 404 and len(_subs(session)) == 1
    mine = http.post(
        "/push/unsubscribe",
        json={"as": "client", "endpoint": sub["endpoint"]},
        cookies={CLIENT_COOKIE: client_token},
    )
    assert mine.json() == {"ok": True} and _subs(session) == []
    cross = http.post(
        "/push/subscribe",
        json={"subscription": sub},
        cookies={EMPLOYEE_COOKIE: staff_token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 400 and _subs(session) == []


def test_a_deactivated_employees_browsers_hear_nothing(
    session: Session, employee, push_endpoint: servers.PushService
) -> None:
    webpush.subscribe(webpush.parse_subscription(push_endpoint.subscription("gone")), employee_id=employee.id)
    _push(employee.id)
    employee.is_active = False
    session.add(employee)
    session.commit()
    assert outbox.deliver_due() == 0
    assert push_endpoint.hits == []
    session.expire_all()
    assert session.exec(select(OutboxItem)).one().status == OutboxStatus.failed

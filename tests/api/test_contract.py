"""The API's contract through the real HTTP stack: sending, idempotency, limits, cursor, M7, S1, SSE."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.api.conftest import API, ApiApp

pytestmark = pytest.mark.feature("P15")

LIMIT = 40 * 1024 * 1024


def key() -> str:
    return uuid.uuid4().hex


def send(http: httpx.Client, text: str, **extra: object) -> httpx.Response:
    return http.post(f"{API}/chat/messages", json={"client_msg_id": key(), "text": text, **extra})


@pytest.mark.feature("M8")
def test_a_resend_with_the_same_id_returns_the_same_message_and_stores_one(api_app: ApiApp) -> None:
    with api_app.client(152) as http:
        body = {"client_msg_id": key(), "text": "Когда будут ключи?"}
        first = http.post(f"{API}/chat/messages", json=body)
        again = http.post(f"{API}/chat/messages", json=body)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert first.json()["text"] == "Когда будут ключи?" and first.json()["is_mine"]
    stored = "SELECT count(*) FROM message WHERE client_msg_id = :k"
    assert api_app.scalar(stored, k=body["client_msg_id"]) == 1


@pytest.mark.feature("M2")
def test_a_file_of_40_mb_and_one_byte_is_refused_and_leaves_no_row(api_app: ApiApp) -> None:
    before = api_app.scalar("SELECT count(*) FROM attachment")
    with api_app.client(155) as http:
        answer = http.post(
            f"{API}/chat/files", files={"file": ("plan.txt", b"a" * (LIMIT + 1), "text/plain")}
        )
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "file_too_large"
        assert "40" in answer.json()["message"]
        assert api_app.scalar("SELECT count(*) FROM attachment") == before
        # A file within the limit goes through the same two steps as the app: stage, then send.
        staged = http.post(
            f"{API}/chat/files", files={"file": ("plan.txt", "План этажа".encode(), "text/plain")}
        )
        assert staged.status_code == 201, staged.text
        sent = send(http, "", attachment_id=staged.json()["id"])
        assert sent.status_code == 201, sent.text
        assert sent.json()["file"]["name"] == "plan.txt"
        download = http.get(sent.json()["file"]["url"])
        assert download.status_code == 200 and download.content == "План этажа".encode()
    with api_app.client(156) as other:
        assert other.get(sent.json()["file"]["url"]).status_code == 404


def test_text_limits_and_unknown_fields_are_refused_with_a_russian_message(api_app: ApiApp) -> None:
    with api_app.client(152) as http:
        too_long = send(http, "я" * 4001)
        empty = send(http, "   ")
        bad_key = http.post(f"{API}/chat/messages", json={"client_msg_id": "x", "text": "Привет"})
    assert too_long.status_code == 422 and too_long.json()["code"] == "invalid_request"
    assert empty.status_code == 422 and empty.json()["code"] == "empty_message"
    assert empty.json()["message"] == "Введите текст сообщения"
    assert bad_key.json()["field"] == "client_msg_id"


@pytest.mark.feature("M10")
def test_the_cursor_pages_back_and_catches_up(api_app: ApiApp) -> None:
    with api_app.client(157) as http:
        ids = [send(http, f"Курсор {n}").json()["id"] for n in range(5)]
        newest = http.get(f"{API}/chat/messages", params={"limit": 2}).json()
        assert [m["id"] for m in newest["items"]] == ids[-2:]
        assert newest["has_more_before"]
        older = http.get(f"{API}/chat/messages", params={"limit": 2, "before": ids[-2]}).json()
        assert [m["id"] for m in older["items"]] == ids[1:3]
        after = http.get(f"{API}/chat/messages", params={"after": ids[0], "limit": 3}).json()
        assert [m["id"] for m in after["items"]] == ids[1:4]


@pytest.mark.feature("M7")
def test_edit_and_delete_follow_the_m7_rules(api_app: ApiApp) -> None:
    with api_app.client(158) as http:
        message = send(http, "Ошибся").json()
        edited = http.patch(f"{API}/chat/messages/{message['id']}", json={"text": "Исправил"})
        assert (
            edited.status_code == 200 and edited.json()["text"] == "Исправил" and edited.json()["is_edited"]
        )
        deleted = http.delete(f"{API}/chat/messages/{message['id']}")
        assert deleted.status_code == 200 and deleted.json()["is_deleted"]
        again = http.patch(f"{API}/chat/messages/{message['id']}", json={"text": "Снова"})
        assert again.status_code == 409 and again.json()["code"] == "message_deleted"
        read = send(http, "Прочитано сотрудником").json()
        api_app.execute("UPDATE message SET read_at = created_at WHERE id = :id", id=read["id"])
        refused = http.patch(f"{API}/chat/messages/{read['id']}", json={"text": "Поздно"})
        assert refused.status_code == 409
        assert refused.json()["message"] == "Сотрудник уже прочитал сообщение: изменить его нельзя"


@pytest.mark.feature("S1", "N4")
def test_the_storefront_hides_the_contact_button_and_refuses_sends_while_s1_is_off(api_app: ApiApp) -> None:
    with api_app.client(159) as http:
        assert http.get(f"{API}/storefront").json()["contact_visible"] is True
        api_app.execute("UPDATE chat_settings SET show_in_storefront = :off", off=False)
        try:
            assert http.get(f"{API}/storefront").json()["contact_visible"] is False
            refused = send(http, "Скрыто")
            assert refused.status_code == 403 and refused.json()["code"] == "chat_hidden"
        finally:
            api_app.execute("UPDATE chat_settings SET show_in_storefront = :on", on=True)
        assert send(http, "Снова можно").status_code == 201


@pytest.mark.feature("M11", "N4")
def test_mark_read_resets_the_unread_counter(api_app: ApiApp) -> None:
    chat_id = api_app.scalar("SELECT id FROM chat WHERE client_id = 161")
    api_app.execute(
        "INSERT INTO message (chat_id, author_kind, text, created_at) "
        "VALUES (:chat, 'employee', 'Ответ сотрудника', CURRENT_TIMESTAMP)",
        chat=chat_id,
    )
    with api_app.client(161) as http:
        assert http.get(f"{API}/chat").json()["unread"] >= 1
        read = http.post(f"{API}/chat/read").json()
        assert read["marked"] >= 1 and read["unread"] == 0
        assert http.get(f"{API}/storefront").json()["unread"] == 0


def _events(api_app: ApiApp, client_id: int, last_event_id: str, wanted: int) -> list[tuple[int, str, dict]]:
    """Read ``wanted`` events from the stream, resuming after ``last_event_id``."""
    headers = {"Authorization": f"Bearer {api_app.token(client_id)}", "Last-Event-ID": last_event_id}
    found: list[tuple[int, str, dict]] = []
    with httpx.stream("GET", f"{api_app.url}{API}/chat/events", headers=headers, timeout=30) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        frame: dict[str, str] = {}
        for line in answer.iter_lines():
            if line.startswith(("id:", "event:", "data:")):
                name, _, value = line.partition(":")
                frame[name] = value.strip()
            elif not line and "id" in frame:
                found.append((int(frame["id"]), frame["event"], json.loads(frame["data"])))
                frame = {}
                if len(found) == wanted:
                    break
    return found


def test_a_reconnecting_stream_gets_what_it_missed_once_and_in_order(api_app: ApiApp) -> None:
    with api_app.client(153) as http:
        first = send(http, "Первое").json()
        start = api_app.scalar("SELECT max(id) FROM api_event WHERE message_id = :m", m=first["id"])
        second = send(http, "Второе").json()
        http.patch(f"{API}/chat/messages/{second['id']}", json={"text": "Второе, исправлено"})
        third = send(http, "Третье").json()
    events = _events(api_app, 153, str(start), 3)
    assert [(kind, data["id"]) for _, kind, data in events] == [
        ("chat.message", second["id"]),
        ("chat.message_changed", second["id"]),
        ("chat.message", third["id"]),
    ]
    ids = [event_id for event_id, _, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == 3
    # Resuming after the edit gives only what came after it: nothing twice.
    resumed = _events(api_app, 153, str(ids[1]), 1)
    assert [(kind, data["text"]) for _, kind, data in resumed] == [("chat.message", "Третье")]


def test_a_bad_last_event_id_is_refused_with_a_code(api_app: ApiApp) -> None:
    with api_app.client(153) as http:
        answer = http.get(f"{API}/chat/events", headers={"Last-Event-ID": "abc"})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


@pytest.mark.feature("M8")
def test_the_message_rate_limit_answers_429_with_retry_after(api_app: ApiApp) -> None:
    _, token = api_app.visitor()
    with api_app.client(token=token) as http:
        answers = [send(http, f"Быстро {n}") for n in range(25)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert limited[0].json()["code"] == "rate_limited"
    assert int(limited[0].headers["Retry-After"]) > 0


def test_an_anonymous_visitor_gets_its_own_token_and_chat(api_app: ApiApp) -> None:
    client_id, token = api_app.visitor()
    with api_app.client(token=token) as http:
        chat = http.get(f"{API}/chat").json()
        assert chat["chat_id"] is None and chat["is_authorized"] is False
        assert send(http, "Здравствуйте, я гость").status_code == 201
        assert http.get(f"{API}/chat").json()["chat_id"] is not None
    assert api_app.scalar("SELECT is_authorized FROM client WHERE id = :id", id=client_id) in (0, False)


def test_the_contract_and_its_docs_are_served(api_app: ApiApp) -> None:
    schema = httpx.get(f"{api_app.url}{API}/openapi.json").json()
    assert schema["info"]["title"] == "API мобильного приложения «Чат»"
    docs = httpx.get(f"{api_app.url}/api/docs")
    assert docs.status_code == 200 and "/api/v1/chat/messages" in docs.text
    assert "script-src" not in docs.headers["content-security-policy"]


@pytest.mark.feature("B1", "B2", "B4", "B5", "B6")
def test_the_bot_steps_through_the_api_as_on_the_phone(api_app: ApiApp) -> None:
    from tests.bot_rules import bot_rules_on

    engine = api_app.db()
    try:
        with bot_rules_on(engine), api_app.client(167) as http:
            panel = http.post(f"{API}/chat/open", json={}).json()
            assert panel["step"] == "choose_unit" and panel["prompt"] and panel["units"]
            assert [c["label"] for c in panel["other_choices"]] == ["Нет нужного варианта"]
            unit = panel["units"][0]["id"]
            topics = http.post(f"{API}/chat/bot/unit", json={"unit_id": unit}).json()
            assert topics["step"] == "choose_topic" and topics["topics"] and topics["can_go_back"]
            back = http.post(f"{API}/chat/bot/back").json()
            assert back["step"] == "choose_unit"
            topics = http.post(f"{API}/chat/bot/unit", json={"unit_id": unit}).json()
            done = http.post(f"{API}/chat/bot/topic", json={"topic": topics["topics"][0]["value"]}).json()
            assert done["step"] == ""
            late = http.post(f"{API}/chat/bot/back")
            assert late.status_code == 409 and late.json()["message"] == "Этот шаг уже пройден"
            said = [m["text"] for m in http.get(f"{API}/chat/messages").json()["items"]]
            assert topics["topics"][0]["label"] in said and panel["prompt"] in said
    finally:
        engine.dispose()

"""«Отчеты» (P14) on a small hand-made history, on SQLite and on a real PostgreSQL: every
figure is exact (days across the zone's midnight, percentiles of known durations, load,
breakdowns, the list's filters) and only «Поддержка: Отчеты» may read them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from chat_crm import config, db, realtime
from chat_crm.migrate import upgrade_to_head
from chat_crm.models import (
    AuthorKind,
    Building,
    Chat,
    Client,
    DialogRecord,
    DialogState,
    Message,
    Project,
    Topic,
    Unit,
)
from chat_crm.models.realty import Channel
from chat_crm.services import export
from chat_crm.services.access import Permission
from chat_crm.services.errors import Forbidden, ServiceError
from chat_crm.services.reports import present, sections
from chat_crm.services.reports.filters import from_params, make_query
from tests import factories
from tests.conftest import use_database


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Session]:
    """The whole schema by the migrations (0013's included), on SQLite or PostgreSQL."""
    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PARTNER_TIME_ZONE", "Europe/Moscow")
    if request.param == "sqlite":
        use_database(f"sqlite:///{tmp_path / 'reports.db'}")
    else:
        base = request.getfixturevalue("postgres_url")
        name = f"reports_{tmp_path.name[-12:].lower().replace('-', '_')}"
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        use_database(base.rsplit("/", 1)[0] + f"/{name}")
    upgrade_to_head()
    realtime.reset_bus()
    with Session(db.get_engine(), expire_on_commit=False) as session:
        yield session
    db.get_engine().dispose()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config.reload_settings()
    db._engine_for.cache_clear()


def _chat(session: Session, number: int, **fields: object) -> Chat:
    client = Client(full_name=f"Клиент {number}", is_authorized=True)
    session.add(client)
    session.flush()
    chat = Chat(number=number, client_id=client.id or 0, **fields)  # type: ignore[arg-type]
    session.add(chat)
    session.flush()
    return chat


def _messages(session: Session, chat: Chat, *moments: tuple[AuthorKind, datetime]) -> None:
    for kind, moment in moments:
        session.add(Message(chat_id=chat.id or 0, author_kind=kind, text="…", created_at=moment))


@pytest.fixture
def history(any_db: Session) -> dict[str, int]:
    """Three chats around Moscow's midnight of 10→11 November, five finished dialogs of known
    durations (first reply 1, 2, 3, 4, 10 min; solved in 1–5 h) and one open dialog (5 min)."""
    s = any_db
    boss_role = factories.role(s, "Администратор", [Permission.support_chat, Permission.support_reports])
    manager_role = factories.role(s, "Менеджер", [Permission.support_chat, Permission.chat_send])
    anna = factories.employee(s, "anna@demo.ru", role_row=boss_role, name="Анна Орлова")
    boris = factories.employee(s, "boris@demo.ru", role_row=manager_role, name="Борис Ким")
    project = Project(name="ЖК «Лес»")
    s.add(project)
    s.flush()
    building = Building(project_id=project.id or 0, name="Корпус 1")
    s.add(building)
    s.flush()
    unit = Unit(building_id=building.id or 0, number="12")
    s.add(unit)
    s.flush()
    closed = DialogState.closed
    # 20:30 UTC is 23:30 in Moscow (the 10th); 21:30 UTC is 00:30 (the 11th).
    a = _chat(
        s,
        1,
        topic=Topic.deal,
        channel=Channel.ios,
        responsible_id=anna.id,
        unit_id=unit.id,
        dialog_state=closed,
        created_at=at(10, 20, 30),
    )
    b = _chat(
        s,
        2,
        topic=Topic.mortgage,
        channel=Channel.android,
        responsible_id=boris.id,
        dialog_state=closed,
        created_at=at(10, 21, 30),
    )
    c = _chat(
        s,
        3,
        topic=Topic.deal,
        channel=Channel.ios,
        responsible_id=anna.id,
        unit_id=unit.id,
        dialog_state=DialogState.open,
        created_at=at(12, 10),
        dialog_started_at=at(12, 10),
        first_response_at=at(12, 10, 5),
    )
    _chat(
        s,
        4,
        channel=Channel.android,
        dialog_state=DialogState.open,
        created_at=at(1, 9),
        dialog_started_at=at(1, 9),
    )  # open, nobody responsible, started before the range
    _messages(s, a, (AuthorKind.client, at(10, 20, 59, 59)), (AuthorKind.employee, at(10, 21)))
    _messages(s, b, (AuthorKind.client, at(11, 8)))
    _messages(s, c, (AuthorKind.client, at(12, 10)), (AuthorKind.employee, at(12, 10, 5)))
    replies = [60, 120, 180, 240, 600]
    for i, reply in enumerate(replies):
        chat, who = (a, anna) if i < 3 else (b, boris)
        started = at(11, 6 + i)
        s.add(
            DialogRecord(
                chat_id=chat.id or 0,
                started_at=started,
                responsible_id=who.id,
                first_response_at=started + timedelta(seconds=reply),
                closed_at=started + timedelta(hours=i + 1),
            )
        )
    s.commit()
    return {"anna": anna.id or 0, "boris": boris.id or 0, "project": project.id or 0}


def _table(history: dict[str, int], key: str, **params: str) -> present.ReportTable:
    query = from_params({"from": "2026-11-10", "to": "2026-11-12", **params})
    return sections.section(employee_id=history["anna"], query=query, key=key)


def test_volume_per_day_counts_by_moscow_days(history: dict[str, int]) -> None:
    table = _table(history, "volume")
    assert table.headers == ["День", "Новые чаты", "Сообщения", "От клиентов", "От сотрудников"]
    assert table.rows == [
        ["10.11.2026", "1", "1", "1", "0"],  # chat 1 at 23:30 and its client's 23:59:59
        ["11.11.2026", "1", "2", "1", "1"],  # chat 2 at 00:30, the reply at 00:00, chat 2's message
        ["12.11.2026", "1", "2", "1", "1"],
    ]
    assert [point["day"] for point in table.chart] == ["10 нояб.", "11 нояб.", "12 нояб."]


def test_first_response_and_resolution_median_and_p90(history: dict[str, int]) -> None:
    first = _table(history, "first_response")
    # 1, 2, 3, 4, 10 min finished and 5 min open: median (3 + 4) / 2, p90 5 + 0.5 · 5 min
    assert first.rows[0] == ["Весь период", "6", "4 мин", "8 мин"]
    assert first.rows[1:] == [["11.11.2026", "5", "3 мин", "8 мин"], ["12.11.2026", "1", "5 мин", "5 мин"]]
    with db.read_session() as session:
        from chat_crm.services.reports import timings

        query = make_query("2026-11-10", "2026-11-12")
        overall = timings.first_response(session, query, history["anna"]).overall
        solved = timings.resolution(session, query, history["anna"]).overall
    assert overall is not None and (overall.median, overall.p90) == pytest.approx((210, 450))
    assert solved is not None and (solved.median, solved.p90) == pytest.approx((3 * 3600, 4.6 * 3600))
    assert _table(history, "resolution").rows[0] == ["Весь период", "5", "3 ч", "4 ч 36 мин"]


def test_open_dialogs_per_employee_now(history: dict[str, int]) -> None:
    assert _table(history, "load").rows == [["Анна Орлова", "1"], ["Без ответственного", "1"]]


def test_breakdowns_of_the_dialogs_started_in_the_range(history: dict[str, int]) -> None:
    assert _table(history, "topic").rows == [["Сделка", "4"], ["Ипотека", "2"]]
    assert _table(history, "channel").rows == [["iOS", "4"], ["Android", "2"]]
    assert _table(history, "employee").rows == [["Анна Орлова", "4"], ["Борис Ким", "2"]]
    assert _table(history, "project").rows == [["ЖК «Лес»", "4"], ["Без проекта", "2"]]


def test_the_lists_filters_narrow_every_section(history: dict[str, int]) -> None:
    deal = {"topic": "deal"}
    assert [r[1:3] for r in _table(history, "volume", **deal).rows] == [["1", "1"], ["0", "1"], ["1", "2"]]
    # 1, 2, 3 min finished and 5 min open
    assert _table(history, "first_response", **deal).rows[0] == ["Весь период", "4", "3 мин", "4 мин"]
    assert _table(history, "channel", channel="android").rows == [["Android", "2"]]
    assert _table(history, "load", responsible=str(history["anna"])).rows == [["Анна Орлова", "1"]]
    assert _table(history, "topic", project=str(history["project"])).rows == [["Сделка", "4"]]
    assert _table(history, "volume", **{"from": "2026-11-11", "to": "2026-11-11"}).rows == [
        ["11.11.2026", "1", "2", "1", "1"]
    ]


def test_an_empty_range_says_so(history: dict[str, int]) -> None:
    query = make_query("2025-01-01", "2025-01-02")
    tables = sections.report(employee_id=history["anna"], query=query)
    empty = {table.key: table.empty for table in tables}
    # the load is a snapshot of now: the range does not apply to it
    assert empty == {key: key != "load" for key in sections.SECTIONS}


def test_only_the_reports_right_reads_and_exports(history: dict[str, int]) -> None:
    query = make_query("2026-11-10", "2026-11-12")
    with pytest.raises(Forbidden, match="Недостаточно прав"):
        sections.report(employee_id=history["boris"], query=query)
    with pytest.raises(Forbidden):
        sections.export_section(employee_id=history["boris"], query=query, key="topic")
    with pytest.raises(ServiceError, match="Начало периода позже его конца"):
        make_query("2026-11-12", "2026-11-10")


def test_the_export_holds_the_table(history: dict[str, int]) -> None:
    query = make_query("2026-11-10", "2026-11-12")
    made = sections.export_section(employee_id=history["anna"], query=query, key="volume")
    download = export.file_for(employee_id=history["anna"], token=made.token)
    assert download.filename == made.filename  # the report's own name, not the chat list's
    sheet = load_workbook(download.path, read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["День", "Новые чаты", "Сообщения", "От клиентов", "От сотрудников"]
    assert rows[1] == [datetime(2026, 11, 10), 1, 1, 1, 0]
    assert made.filename.startswith("Отчет_Объем_")


def test_the_send_and_close_services_write_the_dialogs_times(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    """The figures come from what the services write: the first reply on the chat, the
    finished dialog in ``dialog_record`` (in the transaction of the close)."""
    from chat_crm.services import messages
    from chat_crm.services.messages.send import close_dialog

    client_id, manager_id = world["client"].id, world["manager"].id
    messages.send_client_message(client_id=client_id, text="Вопрос", client_msg_id="rep-00001")
    chat_id = messages.client_chat_id(client_id=client_id) or 0
    for n in (2, 3):
        messages.send_employee_message(
            employee_id=manager_id, chat_id=chat_id, text="Ответ", client_msg_id=f"rep-0000{n}"
        )
    session.expire_all()
    chat = session.get(Chat, chat_id)
    assert chat is not None and chat.first_response_at is not None
    first_reply = chat.first_response_at
    close_dialog(employee_id=manager_id, chat_id=chat_id, reason="resolved")
    record = session.exec(select(DialogRecord)).one()
    assert (record.chat_id, record.responsible_id) == (chat_id, chat.responsible_id)
    assert record.started_at == chat.dialog_started_at and record.first_response_at == first_reply
    assert record.closed_at >= first_reply


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (44.6, "45 с"),
        (89, "1 мин"),
        (90, "2 мин"),
        (3900, "1 ч 5 мин"),
        (7200, "2 ч"),
        (2 * 86400 + 3 * 3600, "2 дня 3 ч"),
    ],
)
def test_durations_read_in_russian(seconds: float, text: str) -> None:
    assert present.duration(seconds) == text


def test_the_migration_fills_the_history_from_the_dialog_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0013 on a database with dialogs already in it: each closing mark becomes a finished
    dialog (start, first staff reply, close), and an open chat gets its first reply."""
    from alembic.config import Config

    from alembic import command
    from chat_crm.config import PROJECT_ROOT

    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    use_database(f"sqlite:///{tmp_path / 'old.db'}")
    alembic = Config(str(PROJECT_ROOT / "alembic.ini"))
    alembic.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    command.upgrade(alembic, "0012")
    rows = [
        (1, "client", None, "opened", "2026-11-10 09:00:00.000000"),
        (1, "employee", 1, None, "2026-11-10 09:04:00.000000"),
        (1, "employee", 1, "resolved", "2026-11-10 11:00:00.000000"),
        (1, "client", None, "opened", "2026-11-11 09:00:00.000000"),
        (1, "employee", 1, "no_reply", "2026-11-11 10:00:00.000000"),
        (2, "client", None, "opened", "2026-11-12 09:00:00.000000"),
        (2, "employee", 1, None, "2026-11-12 09:30:00.000000"),
    ]
    with db.get_engine().begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO role (id, name, permissions, notifications) VALUES (1, 'Р', '[]', '{}')"
        )
        conn.exec_driver_sql(
            "INSERT INTO employee (id, full_name, email, photo_url, role_id, password_hash, is_active, "
            "created_at) "
            "VALUES (1, 'Анна', 'a@demo.ru', '', 1, '-', 1, '2026-11-01 00:00:00')"
        )
        for n, state in ((1, "closed"), (2, "open")):
            conn.exec_driver_sql(
                "INSERT INTO client (id, full_name, name_search, phone, email, photo_url, is_authorized, "
                f"channel, created_at) VALUES ({n}, 'К', 'к', '', '', '', 1, 'ios', '2026-11-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO chat (id, number, client_id, responsible_id, comment, channel, dialog_state, "
                "bot_step, consent_pending, created_at, updated_at, dialog_started_at) "
                f"VALUES ({n}, {n}, {n}, 1, '', 'ios', '{state}', 'none', 0, '2026-11-01 00:00:00', "
                f"'2026-11-01 00:00:00', '{rows[5][4] if n == 2 else rows[3][4]}')"
            )
        for chat_id, kind, employee_id, mark, when in rows:
            conn.exec_driver_sql(
                "INSERT INTO message (chat_id, author_kind, employee_id, text, dialog_mark, created_at) "
                "VALUES (?, ?, ?, '', ?, ?)",
                (chat_id, kind, employee_id, mark, when),
            )
    command.upgrade(alembic, "0013")
    with Session(db.get_engine()) as session:
        records = session.exec(select(DialogRecord).order_by(DialogRecord.id)).all()
        open_chat = session.get(Chat, 2)
    assert [(r.started_at, r.first_response_at, r.closed_at) for r in records] == [
        (at(10, 9), at(10, 9, 4), at(10, 11)),
        (at(11, 9), None, at(11, 10)),
    ]
    assert open_chat is not None and open_chat.first_response_at == at(12, 9, 30)
    db.get_engine().dispose()


def test_a_reports_only_role_downloads_its_table_until_the_right_is_taken(
    any_db: Session, history: dict[str, int]
) -> None:
    analyst_role = factories.role(any_db, "Аналитик", [Permission.support_reports])
    analyst = factories.employee(any_db, "analyst@demo.ru", role_row=analyst_role, name="Вера Лис")
    any_db.commit()
    made = sections.export_section(
        employee_id=analyst.id, query=make_query("2026-11-10", "2026-11-12"), key="topic"
    )
    assert export.file_for(
        employee_id=analyst.id, token=made.token
    ).path.is_file()  # no «Поддержка: Чат» needed
    analyst_role.permissions = []
    any_db.add(analyst_role)
    any_db.commit()
    with pytest.raises(Forbidden):
        export.file_for(employee_id=analyst.id, token=made.token)

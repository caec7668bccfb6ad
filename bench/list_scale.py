"""The chat list at a real partner's size: ``python -m bench.list_scale [--chats N]``.

Starts a throwaway PostgreSQL (tests/servers.py), migrates it, generates N chats (default
1,000,000) with 10 messages each inside the database (INSERT … SELECT over a series: no
rows travel through Python), then prints p50/p95 of representative list queries through
the real service functions (``inbox.list_page``, ``inbox.tab_counts``,
``inbox.list_update``), the EXPLAIN ANALYZE of the slowest, and an export of ~10% of the
chats (time and the child process's peak RSS). ``--sqlite`` runs the same on a SQLite file.
Figures only: nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from bench.common import percentile
from chat_crm import config, db
from chat_crm.demo import FIRST_NAMES, LAST_NAMES, PATRONYMICS
from chat_crm.migrate import upgrade_to_head
from chat_crm.models import Building, Department, Employee, Project, Role, Unit
from chat_crm.services import inbox
from chat_crm.services.access import ALL_PERMISSIONS
from chat_crm.services.list_query import COLUMNS, ListView

RUNS = 15
UNITS = 30_000


def use_database(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    config.reload_settings()
    db._engine_for.cache_clear()


def _names_cte() -> tuple[str, int]:
    """Every ФИО of the demo's lists, with its casefolded form (no locale needed in SQL)."""
    people = [
        (f"{last} {first[0]} {patronymic[0]}", f"{last} {first[0]} {patronymic[0]}".casefold())
        for last in LAST_NAMES
        for first in FIRST_NAMES
        for patronymic in PATRONYMICS
    ]
    values = ", ".join(f"({i}, '{name}', '{key}')" for i, (name, key) in enumerate(people))
    return f"names(i, full_name, name_key) AS (VALUES {values})", len(people)


def _org(session: Session) -> int:
    role = Role(name="Менеджер", permissions=[p.value for p in ALL_PERMISSIONS])
    session.add(role)
    departments = [Department(name=f"Отдел {i}") for i in range(1, 4)]
    session.add_all(departments)
    session.flush()
    for i in range(12):
        session.add(
            Employee(
                full_name=f"Сотрудник {i + 1:02d}",
                email=f"e{i}@bench.ru",
                department_id=departments[i % 3].id,
                role_id=role.id or 0,
                password_hash="-",
            )
        )
    for p in range(20):
        project = Project(name=f"ЖК «Проект {p + 1:02d}»")
        session.add(project)
        session.flush()
        for b in range(3):
            building = Building(project_id=project.id or 0, name=f"Корпус {b + 1}")
            session.add(building)
            session.flush()
            session.add_all(Unit(building_id=building.id or 0, number=str(n)) for n in range(UNITS // 60))
    session.commit()
    return 1


def _series(dialect: str, n: int) -> tuple[str, str]:
    """(CTE, FROM) giving g = 1..n."""
    if dialect == "postgresql":
        return "", f"generate_series(1, {n}) AS s(g)"
    return f"s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n})", "s"


def _minutes_before(dialect: str, minutes: str) -> str:
    if dialect == "postgresql":
        return f"(TIMESTAMPTZ '2026-11-25 12:00:00+00' - ({minutes}) * INTERVAL '1 minute')"
    return f"strftime('%Y-%m-%d %H:%M:%f000', '2026-11-25 12:00:00', (-({minutes})) || ' minutes')"


def _with(*ctes: str) -> str:
    found = [c for c in ctes if c]
    if not found:
        return ""
    recursive = "RECURSIVE " if any("UNION ALL" in c for c in found) else ""
    return f"WITH {recursive}" + ", ".join(found) + " "


def _run_sql(conn: sa.Connection, sql: str) -> None:
    # psycopg takes % for a placeholder: the modulo operator must be doubled there.
    conn.exec_driver_sql(sql.replace("%", "%%") if conn.dialect.name == "postgresql" else sql)


def generate(chats: int, per_chat: int) -> None:
    """Clients, chats and messages, made by the database itself."""
    engine = db.get_engine()
    dialect = engine.dialect.name
    with Session(engine) as session:
        _org(session)
    names, people = _names_cte()
    series, source = _series(dialect, chats)
    created = _minutes_before(dialect, f"{chats} - g")
    last = _minutes_before(dialect, f"{chats} - g - {per_chat - 1}")
    topics = (
        "CASE g % 6 WHEN 0 THEN 'acceptance' WHEN 1 THEN 'deal' WHEN 2 THEN 'booking' "
        "WHEN 3 THEN 'mortgage' WHEN 4 THEN 'other' END"
    )
    started = time.perf_counter()
    with engine.begin() as conn:
        _run_sql(
            conn,
            _with(series, names)
            + "INSERT INTO client (id, full_name, name_search, phone, email, photo_url, is_authorized, "
            "channel, created_at) "
            f"SELECT g, CASE WHEN g % 20 = 0 THEN '' ELSE names.full_name END, "
            f"CASE WHEN g % 20 = 0 THEN '' ELSE names.name_key END, '', '', '', g % 20 <> 0, "
            f"CASE WHEN g % 2 = 0 THEN 'ios' ELSE 'android' END, {created} "
            f"FROM {source} JOIN names ON names.i = (g * 7) % {people}",
        )
        _run_sql(
            conn,
            _with(series)
            + "INSERT INTO chat (id, number, client_id, unit_id, topic, department_id, responsible_id, "
            "comment, "
            "channel, dialog_state, bot_step, consent_pending, created_at, updated_at, last_message_at, "
            "last_client_message_at) "
            f"SELECT g, g, g, CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + g % {UNITS} END, {topics}, 1 + g % 3, "
            "CASE WHEN g % 10 = 3 THEN NULL ELSE 1 + g % 12 END, '', "
            "CASE WHEN g % 2 = 0 THEN 'ios' ELSE 'android' END, "
            "CASE WHEN g % 9 = 4 THEN 'closed' ELSE 'open' END, 'none', false, "
            f"{created}, {last}, {last}, {last} FROM {source}",
        )
    print(f"  clients and chats: {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    m_series, m_source = _series(dialect, chats * per_chat)
    chat_of = f"((g - 1) / {per_chat} + 1)"
    k = f"((g - 1) % {per_chat})"
    when = _minutes_before(dialect, f"{chats} - {chat_of} - {k}")
    # One chat in a hundred ends with a client message nobody read («Новые»).
    unread = f"({chat_of} % 100 = 7 AND {k} = {per_chat - 1})"
    with engine.begin() as conn:
        _run_sql(
            conn,
            _with(m_series) + "INSERT INTO message (id, chat_id, author_kind, text, created_at, read_at) "
            f"SELECT g, {chat_of}, CASE WHEN {k} % 2 = 0 OR {unread} THEN 'client' ELSE 'employee' END, "
            f"'Сообщение ' || g, {when}, CASE WHEN {unread} THEN NULL ELSE {when} END FROM {m_source}",
        )
    print(f"  messages: {time.perf_counter() - started:.0f} s", flush=True)
    # What autovacuum would have done by now: statistics, and the visibility map that
    # index-only scans need.
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"
        )


def queries(chats: int) -> list[tuple[str, Callable[[], object]]]:
    me = 2

    def page(**view: object) -> Callable[[], object]:
        return lambda: inbox.list_page(employee_id=me, view=ListView(**view))  # type: ignore[arg-type]

    week = {"created_from": "2026-11-01", "created_to": "2026-11-07"}
    found: list[tuple[str, Callable[[], object]]] = [
        ("default, page 1", page()),
        ("default, page 2,000", page(page=2000)),
        ("«Новые»", page(tab="new")),
        ("tab counts", lambda: inbox.tab_counts(employee_id=me)),
        ("live: one row + «Новые» count", lambda: inbox.list_update(chats // 2)),
        ("topic = deal", page(topic="deal")),
        ("project", page(project=3)),
        ("building", page(building=7)),
        ("created in a week", page(**week)),
        ("updated in a week", page(updated_from="2026-11-01", updated_to="2026-11-07")),
        ("responsible", page(responsible=5)),
        ("department", page(department=2)),
        ("channel = iOS", page(channel="ios")),
        ("dialog closed", page(state="closed")),
        ("only unread", page(unread=True)),
        ("«Мои»", page(scope="mine")),
        ("«Без ответственного»", page(scope="unassigned")),
        ("search by number", page(search=str(chats // 3))),
        ("search part of ФИО «ильин»", page(search="ильин")),
        ("search full ФИО", page(search="Захаров Михаил Игоревич")),
        ("search visitor #N", page(search=f"Неавторизованный посетитель #{(chats // 40) * 20}")),
        ("topic + iOS + «Мои» + ФИО", page(topic="deal", channel="ios", scope="mine", search="ов")),
    ]
    for sort in COLUMNS:
        found.append((f"sort by {sort} ↑", page(sort=sort, desc=False)))
    found.append(("sort by client ↓, page 2,000", page(sort="client", page=2000)))
    return found


@contextlib.contextmanager
def captured() -> Iterator[list[tuple[float, str, object]]]:
    """(seconds, statement, parameters) of every statement run inside the block."""
    seen: list[tuple[float, str, object]] = []
    engine = db.get_engine()

    def before(conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        conn.info["started"] = time.perf_counter()

    def after(conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        seen.append((time.perf_counter() - conn.info["started"], statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


def measure(chats: int) -> list[tuple[float, str, Callable[[], object]]]:
    results = []
    print(f"{'query':40s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for name, run in queries(chats):
        started = time.perf_counter()
        run()
        slow = time.perf_counter() - started > 1.0  # a few runs are enough to see it is slow
        run()
        times = []
        for _ in range(3 if slow else RUNS):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        print(f"{name:40s} {p50:8.1f} {p95:8.1f}", flush=True)
        results.append((p95, name, run))
    return results


def explain(results: list[tuple[float, str, Callable[[], object]]], top: int = 3) -> None:
    engine = db.get_engine()
    for p95, name, run in sorted(results, key=lambda r: r[0], reverse=True)[:top]:
        with captured() as seen:
            run()
        seconds, statement, parameters = max(seen, key=lambda s: s[0])
        print(
            f"\n--- EXPLAIN of the slowest statement of «{name}» "
            f"(p95 {p95:.1f} ms, this run {seconds * 1000:.1f} ms) ---"
        )
        print(statement)
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        )
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            for line in cursor.fetchall():
                print("   ", " | ".join(str(x) for x in line))
        finally:
            raw.close()


def run_export(url: str) -> None:
    """In a child process that imports only the export: its peak RSS is the export's."""
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "bench.export_scale"], env=env, check=True)


def bench(url: str, chats: int, per_chat: int) -> None:
    use_database(url)
    upgrade_to_head()
    print(f"{db.get_engine().dialect.name}: {chats:,} chats, {chats * per_chat:,} messages", flush=True)
    generate(chats, per_chat)
    results = measure(chats)
    explain(results)
    run_export(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1_000_000)
    parser.add_argument("--messages-per-chat", type=int, default=10)
    parser.add_argument("--sqlite", action="store_true", help="also run on a SQLite file")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.sqlite_only:
        from tests.servers import postgres_server

        with postgres_server() as url:
            bench(url, args.chats, args.messages_per_chat)
    if args.sqlite or args.sqlite_only:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["CHAT_DATA_DIR"] = folder
            bench(f"sqlite:///{Path(folder) / 'list.db'}", args.chats, args.messages_per_chat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

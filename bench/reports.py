"""«Отчеты» (P14) at a partner's size: ``python -m bench.reports [--chats N]``.

Starts a PostgreSQL cluster kept in a folder (``--cache``; a rerun with the same size reuses
it instead of generating again), migrates it, makes N chats (default 1,000,000) with 10
messages each and about 1.5 finished dialogs per chat inside the database (INSERT … SELECT
over ``generate_series``: no rows travel through Python), then prints p50/p95 of every
report section through the real service (``reports.sections.section``, rights included)
over varied ranges and filters, the EXPLAIN ANALYZE of the slowest, and the peak memory.
Figures only: nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from bench.common import percentile
from bench.list_scale import _run_sql, captured, generate, use_database
from chat_crm import db
from chat_crm.migrate import upgrade_to_head
from chat_crm.services.reports import sections
from chat_crm.services.reports.filters import make_query
from tests.servers import PG_BIN, free_port

ME = 2  # list_scale's employees: every permission, «Поддержка: Отчеты» included
LAST_DAY = "2026-11-25"  # the generated history ends here
RUNS = 2  # each (range, filters) variant runs this many times after a warm-up

# First ten days, then the last week, month, quarter and year, with the list's filters.
VARIANTS: list[tuple[str, str, dict[str, str]]] = [
    ("2026-11-19", LAST_DAY, {}),
    ("2026-10-27", LAST_DAY, {}),
    ("2026-08-28", LAST_DAY, {}),
    ("2025-11-26", LAST_DAY, {}),
    ("2026-10-27", LAST_DAY, {"topic": "deal"}),
    ("2026-10-27", LAST_DAY, {"channel": "ios"}),
    ("2026-10-27", LAST_DAY, {"responsible": "5"}),
    ("2026-10-27", LAST_DAY, {"project": "3"}),
    ("2026-10-27", LAST_DAY, {"department": "2"}),
    ("2026-10-27", LAST_DAY, {"state": "open"}),
    ("2026-08-28", LAST_DAY, {"topic": "mortgage", "channel": "android"}),
    ("2026-06-01", "2026-06-30", {"view": "unassigned"}),
]

# About 1.5 finished dialogs per chat, before the current one; one in 17 never answered.
DIALOGS = """
INSERT INTO dialog_record (chat_id, started_at, first_response_at, closed_at, responsible_id)
SELECT c.id, c.created_at + (k - 1) * INTERVAL '3 hours',
       CASE WHEN c.id % 17 = 0 THEN NULL
            ELSE c.created_at + (k - 1) * INTERVAL '3 hours'
                 + ((c.id * 13 + k) % 300 + 1) * INTERVAL '1 minute' END,
       c.created_at + (k - 1) * INTERVAL '3 hours' + ((c.id * 11 + k) % 2880 + 30) * INTERVAL '1 minute',
       c.responsible_id
FROM chat c CROSS JOIN LATERAL generate_series(1, 1 + c.id % 2) AS s(k)
"""
CURRENT = """
UPDATE chat SET dialog_started_at = last_message_at,
    first_response_at = CASE WHEN id % 5 = 0 THEN NULL
                             ELSE last_message_at + ((id * 7) % 240 + 1) * INTERVAL '1 minute' END
WHERE dialog_state <> 'closed'
"""


def _pg(args: list[str]) -> list[str]:
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + args


@contextlib.contextmanager
def cached_cluster(folder: Path) -> Iterator[tuple[str, bool]]:
    """(url, fresh): a cluster kept in ``folder``; ``fresh`` when it was just made."""
    data = folder / "pgdata"
    fresh = not (folder / "generated").exists()
    if fresh and folder.exists():
        shutil.rmtree(folder)  # a generation that did not finish: start again
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    if not data.exists():
        subprocess.run(
            _pg([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=256MB"
    subprocess.run(
        _pg(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(folder / "pg.log"),
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", fresh
    finally:
        subprocess.run(
            _pg([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), stdout=subprocess.DEVNULL
        )


def make_history(folder: Path, chats: int, per_chat: int) -> None:
    upgrade_to_head()
    generate(chats, per_chat)  # clients, chats, messages (bench.list_scale)
    started = time.perf_counter()
    engine = db.get_engine()
    with engine.begin() as conn:
        _run_sql(conn, DIALOGS)
        _run_sql(conn, CURRENT)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    print(f"  dialogs: {time.perf_counter() - started:.0f} s", flush=True)
    (folder / "generated").write_text(f"{chats} {per_chat}\n")


def _run(key: str, first: str, last: str, params: dict[str, str]) -> float:
    query = make_query(first, last, params)
    started = time.perf_counter()
    sections.section(employee_id=ME, query=query, key=key)
    return (time.perf_counter() - started) * 1000


def measure(runs: int = RUNS) -> list[tuple[float, str, tuple[str, str, dict[str, str]]]]:
    slowest = []
    print(f"{'section':16s} {'runs':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}  slowest variant")
    for key in sections.SECTIONS:
        times: list[tuple[float, tuple[str, str, dict[str, str]]]] = []
        for variant in VARIANTS:
            _run(key, *variant)  # warm-up: the plan and the pages it reads
            times += [(_run(key, *variant), variant) for _ in range(runs)]
        values = [ms for ms, _ in times]
        worst = max(times, key=lambda item: item[0])
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(f"{key:16s} {len(values):5d} {p50:8.1f} {p95:8.1f} {worst[0]:8.1f}  {worst[1]}", flush=True)
        slowest.append((worst[0], key, worst[1]))
    return slowest


def explain(slowest: list[tuple[float, str, tuple[str, str, dict[str, str]]]], top: int = 2) -> None:
    engine = db.get_engine()
    for _ms, key, variant in sorted(slowest, key=lambda item: item[0], reverse=True)[:top]:
        with captured() as seen:
            _run(key, *variant)
        _seconds, statement, parameters = max(seen, key=lambda s: s[0])
        print(f"\n--- EXPLAIN ANALYZE of the slowest statement of «{key}» {variant}")
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            print("\n".join(row[0] for row in plan))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=1_000_000)
    parser.add_argument("--messages-per-chat", type=int, default=10)
    parser.add_argument("--cache", type=Path, default=None, help="the cluster's folder (kept between runs)")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each variant after its warm-up")
    parser.add_argument(
        "--generate-only", action="store_true", help="make (or keep) the history, measure nothing"
    )
    args = parser.parse_args(argv)
    folder = args.cache or Path("/var/tmp/chat-crm-bench") / f"reports-{args.chats}x{args.messages_per_chat}"
    with cached_cluster(folder) as (url, fresh):
        use_database(url)
        if fresh:
            make_history(folder, args.chats, args.messages_per_chat)
        else:
            upgrade_to_head()
            print(f"  reusing the history in {folder}", flush=True)
        if args.generate_only:
            return 0
        with db.get_engine().connect() as conn:
            counts = [
                conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("chat", "message", "dialog_record")
            ]
        print(
            f"postgresql: {counts[0]:,} chats, {counts[1]:,} messages, {counts[2]:,} finished dialogs",
            flush=True,
        )
        slowest = measure(args.runs)
        if not args.no_explain:
            explain(slowest)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the bench process (the reports' Python side): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

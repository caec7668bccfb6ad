"""Server memory after many short visits: 2,000 screens connect, open a chat and leave.

Run: ``source scripts/env.sh && python -m bench.live_memory [--quick] [--screens 2000]
[--targets app1,floor1,app2,floor2]``.

Each visit is a python-socketio tab speaking Reflex's protocol (``bench/sio_screens.py``):
four in five are the client app (/app: a demo client opens the app and its chat), one in
five an employee's chat card; then the tab disconnects. The floor's visits join a room and
leave. Printed: RSS of the server's process tree warm (after 20 visits) and after all of
them, the growth per visit, and «Чат» ÷ the floor. With Redis the states live in
redis-server, whose RSS is printed apart. It prints figures; it never fails on size.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from bench import stack
from bench.sio_screens import ClientScreen, EmployeeScreen, FloorScreen, Screen, login

MiB = 2**20


def _chats(server: stack.Server, limit: int = 200) -> list[tuple[int, int]]:
    engine = sa.create_engine(server.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT client_id, id FROM chat ORDER BY client_id LIMIT :n"), {"n": limit}
        ).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


async def visits(server: stack.Server, floor: bool, count: int, batch: int, start: int = 0) -> None:
    if floor:

        def make(n: int) -> Screen:
            return FloorScreen(server.url, f"mem{uuid.uuid4().hex[:6]}{n % 200}")

    else:
        chats = _chats(server)
        tokens = [await login(server.url, email) for email in ("manager@demo.ru", "admin@demo.ru")]

        def make(n: int) -> Screen:
            client_id, chat_id = chats[n % len(chats)]
            if n % 5 == 4:
                return EmployeeScreen(server.url, chat_id, tokens[n % 2], mark_read_after=-1)
            return ClientScreen(server.url, client_id, mark_read_after=-1)

    async def visit(n: int) -> None:
        screen = make(n)
        await screen.open()  # type: ignore[attr-defined]
        await screen.close()

    for i in range(start, start + count, batch):
        await asyncio.gather(*(visit(n) for n in range(i, min(i + batch, start + count))))


def helper_rss(server: stack.Server) -> float:
    return sum(g.rss_bytes() for g in server.helper_groups()) / MiB


async def measure(
    server: stack.Server, floor: bool, screens: int, batch: int, settle: float
) -> dict[str, Any]:
    await visits(server, floor, 20, 10)
    await asyncio.sleep(settle)
    warm, warm_helpers = server.group.rss_bytes() / MiB, helper_rss(server)
    started = time.monotonic()
    await visits(server, floor, screens, batch, start=20)
    took = time.monotonic() - started
    await asyncio.sleep(settle)
    after, after_helpers = server.group.rss_bytes() / MiB, helper_rss(server)
    return {
        "warm_MiB": round(warm, 1),
        "after_MiB": round(after, 1),
        "per_visit_KiB": round((after - warm) * 1024 / screens, 1),
        "helpers_warm_MiB": round(warm_helpers, 1),
        "helpers_after_MiB": round(after_helpers, 1),
        "visits_per_s": round(screens / took, 1),
    }


def server_for(name: str, workers: int) -> AbstractContextManager[stack.Server]:
    return {
        "app1": lambda: stack.app_server("mem-app1"),
        "app2": lambda: stack.app_server("mem-app2", scale_out=True, workers=workers),
        "floor1": lambda: stack.floor_server("floor1"),
        "floor2": lambda: stack.floor_server("floor2", scale_out=True, workers=workers),
    }[name]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="300 visits")
    parser.add_argument("--targets", default="app1,floor1")
    parser.add_argument("--batch", type=int, default=25, help="visits at a time")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before reading RSS")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    screens = 300 if args.quick else args.screens
    results: dict[str, dict[str, Any]] = {}
    for name in args.targets.split(","):
        with server_for(name, args.workers) as server:
            stack.section(f"{name}: {screens} visits at {server.url}")
            got = results[name] = asyncio.run(
                measure(server, name.startswith("floor"), screens, args.batch, args.settle)
            )
            print(
                f"  RSS warm {got['warm_MiB']} MiB → after {got['after_MiB']} MiB: "
                f"{got['per_visit_KiB']} KiB per visit ({got['visits_per_s']} visits/s)"
                + (
                    f"; redis/postgres {got['helpers_warm_MiB']} → {got['helpers_after_MiB']} MiB"
                    if server.extra_pids
                    else ""
                ),
                flush=True,
            )
    for app, floor in (("app1", "floor1"), ("app2", "floor2")):
        if app in results and floor in results:
            a, f = results[app], results[floor]
            stack.section(f"{app} ÷ {floor}")
            growth = f"{a['per_visit_KiB'] / f['per_visit_KiB']:.1f}×" if f["per_visit_KiB"] > 0 else "—"
            print(f"  warm RSS {a['warm_MiB'] / f['warm_MiB']:.1f}×, growth per visit {growth}")


if __name__ == "__main__":
    main()

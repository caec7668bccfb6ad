"""A bystander's event latency while other users hold slow requests (issue 9).

Run: ``source scripts/env.sh && python -m bench.bystander [--samples 40]``.

The app runs embedded (one worker, SQLite) with the demo. The bystander is the admin on
«Настройки» (/support/settings) in a python-socketio tab (``bench/sio_screens.py``); each
sample is one event until its delta is back:

- ``loop``: typing the welcome title (``set_welcome_title``), no database;
- ``db``:   choosing a department (``set_department``), which reads its employees.

First idle, then under load, where two kinds of slow request go on at once:

- an outside write lock held on the SQLite file by this process (``BEGIN IMMEDIATE``)
  while ``--senders`` clients send messages in a loop: each send waits the busy timeout
  (``DB_BUSY_TIMEOUT_SECONDS``) and hears «База данных занята. Повторите попытку.»;
- a brute force on /login: wrong passwords in a loop, one argon2 hash each (the address
  limit is raised for the bench, so every try hashes).

It prints p50/p95 for each, and the ratio under load ÷ idle. It never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import time
import uuid
from contextlib import suppress

from bench import stack
from bench.common import percentile
from bench.sio_screens import (
    EMPLOYEE_COOKIE,
    LOGIN_STATE,
    SESSION_STATE,
    ClientScreen,
    Screen,
    login,
)

SETTINGS = f"{SESSION_STATE}.chat_crm___states___admin____support_settings_state"


async def settings_screen(base: str) -> Screen:
    screen = Screen(base, "/support/settings/")
    screen.cookies[EMPLOYEE_COOKIE] = await login(base, "admin@demo.ru")
    await screen.connect(timeout=60)
    await screen.wait_for(lambda: bool(screen.var(SETTINGS, "departments")), 60, "the settings form")
    return screen


async def sample(screen: Screen, kind: str, departments: list[str]) -> float:
    started = time.perf_counter()
    if kind == "loop":
        value = uuid.uuid4().hex[:8]
        await screen.emit(f"{SETTINGS}.set_welcome_title", {"value": value})
        await screen.wait_for(lambda: screen.var(SETTINGS, "welcome_title") == value, 120, "the title")
    else:
        value = departments[0] if screen.var(SETTINGS, "department") != departments[0] else departments[-1]
        before = screen.updates
        await screen.emit(f"{SETTINGS}.set_department", {"value": value})
        await screen.wait_for(
            lambda: screen.var(SETTINGS, "department") == value and screen.updates > before,
            120,
            "the department",
        )
    return (time.perf_counter() - started) * 1000


async def measure(screen: Screen, samples: int) -> dict[str, list[float]]:
    departments = [o["value"] for o in screen.var(SETTINGS, "departments")]
    found: dict[str, list[float]] = {"loop": [], "db": []}
    for _ in range(samples):
        for kind in found:
            found[kind].append(await sample(screen, kind, departments))
            await asyncio.sleep(0.05)
    return found


async def slow_sender(base: str, client_id: int, stop: asyncio.Event, counts: dict[str, int]) -> None:
    client = ClientScreen(base, client_id, mark_read_after=-1)
    await client.open(120)
    counts["opened"] += 1
    await stop.wait()  # every sender is on its chat before the lock is taken
    await asyncio.sleep(0)
    while counts.get("locked") and not counts.get("done"):
        before = client.updates
        await client.send(uuid.uuid4().hex[:8])
        with suppress(TimeoutError):
            await client.wait_for(lambda b=before: client.updates > b, 30, "the answer")
        counts["sends"] += 1
    await client.close()


async def brute_force(base: str, counts: dict[str, int]) -> None:
    screen = Screen(base, "/login/")
    await screen.connect(timeout=60)
    while not counts.get("done"):
        before = screen.updates
        form = [["email", f"{uuid.uuid4().hex[:6]}@demo.ru"], ["password", "wrong"]]
        await screen.emit(f"{LOGIN_STATE}.submit", {"form": {"__reflex_form_data__": form}})
        with suppress(TimeoutError):
            await screen.wait_for(lambda b=before: screen.updates > b, 30, "the login answer")
        counts["logins"] += 1
    await screen.close()


def report(name: str, idle: list[float], loaded: list[float]) -> None:
    p50i, p95i, p50l, p95l = (
        percentile(idle, 0.5),
        percentile(idle, 0.95),
        percentile(loaded, 0.5),
        percentile(loaded, 0.95),
    )
    print(
        f"{name:5} idle p50 {p50i:7.1f} ms p95 {p95i:7.1f} ms | under load p50 {p50l:7.1f} ms "
        f"p95 {p95l:7.1f} ms | ratio p50 ×{p50l / p50i:.2f} p95 ×{p95l / p95i:.2f}"
    )


async def run(base: str, db_path: str, samples: int, senders: int) -> None:
    screen = await settings_screen(base)
    idle = await measure(screen, samples)
    counts = {"opened": 0, "sends": 0, "logins": 0, "locked": 0, "done": 0}
    go = asyncio.Event()
    tasks = [asyncio.create_task(slow_sender(base, 41 + i, go, counts)) for i in range(senders)]
    while counts["opened"] < senders:
        await asyncio.sleep(0.2)
    lock = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the outside writer: nobody else may write now
    counts["locked"] = 1
    go.set()
    tasks.append(asyncio.create_task(brute_force(base, counts)))
    await asyncio.sleep(2)  # the senders are waiting on the lock, the brute force hashing
    loaded = await measure(screen, samples)
    counts["done"] = 1
    lock.execute("ROLLBACK")
    lock.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    await screen.close()
    print(
        f"load: {senders} senders on a locked database ({counts['sends']} sends refused after the busy "
        f"timeout), {counts['logins']} wrong logins (argon2 each)"
    )
    for kind in ("loop", "db"):
        report(kind, idle[kind], loaded[kind])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    env_note = "LOGIN_IP_MAX_FAILURES=100000 so the brute force hashes every try"
    print(f"bystander bench: embedded app (1 worker, SQLite); {env_note}")
    os.environ["LOGIN_IP_MAX_FAILURES"] = "100000"
    with stack.app_server("bystander") as server:
        db_path = server.database_url.split("///", 1)[1]
        asyncio.run(run(server.url, db_path, args.samples, args.senders))


if __name__ == "__main__":
    main()

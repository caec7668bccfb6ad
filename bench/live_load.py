"""Many screens without browsers: open-loop message rates against «Чат» and the floor.

Run: ``source scripts/env.sh && python -m bench.live_load [--quick]``.

Shape (default): 200 client screens (/app, each a demo client on its chat) and 50 employees,
each with 4 chat cards open (/support/chats/<id>), so every chat has its client and one
employee tab. Messages go at a fixed rate (open loop: the k-th at t0 + k/rate, whatever the
server does), alternating client → employee and employee → client over the chats; each is
stamped when it first reaches the other side's screen (``bench/sio_screens.py``).

Targets, one after the other on the same machine:
  app1    «Чат» embedded: 1 worker, SQLite, in-memory states
  app2    «Чат» scale-out: GRANIAN_WORKERS (2) workers, PostgreSQL, Redis
  floor1  the floor room app (../shared/floor), 1 worker, in-memory states, same shape as rooms
  floor2  the floor, 2 workers on Redis
Per rate: p50/p95/p99 (ms), delivered/lost/doubled, server CPU per message (psutil over the
server's process tree; PostgreSQL + Redis apart), and at the end the highest rate with
p95 < 200 ms and nothing lost, and app ÷ floor. It prints figures; it never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import psutil
import sqlalchemy as sa

from bench import stack
from bench.common import percentile
from bench.sio_screens import ClientScreen, EmployeeScreen, FloorScreen, Screen, login, open_all

STAFF = ("manager@demo.ru", "admin@demo.ru")


@dataclass(frozen=True)
class Shape:
    clients: int
    employees: int
    chats_per_employee: int

    def __str__(self) -> str:
        return (
            f"{self.clients} client screens, {self.employees} employees × "
            f"{self.chats_per_employee} chat cards"
        )


class Arrivals:
    """First arrival of each message id on the other side, in ms after its send."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def __call__(self, mid: str, latency_ms: float) -> None:
        self.ms.setdefault(mid, latency_ms)


def summarize(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    return {
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1),
    }


def _engine(database_url: str) -> sa.Engine:
    return sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))


async def app_screens(
    server: stack.Server, shape: Shape, sink: Arrivals, mark_read_after: float
) -> tuple[list[tuple[Screen, Screen]], list[Screen]]:
    """Client screens on their chats, and employee chat cards on the same chats."""
    engine = _engine(server.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.client_id, c.id FROM chat c JOIN client k ON k.id = c.client_id "
                "WHERE k.is_authorized ORDER BY c.client_id LIMIT :n"
            ),
            {"n": shape.clients},
        ).all()
    engine.dispose()
    if len(rows) < shape.clients:
        raise SystemExit(f"the demo has {len(rows)} clients with a chat; asked for {shape.clients}")
    clients = [ClientScreen(server.url, client_id, sink, mark_read_after) for client_id, _ in rows]
    tokens = [await login(server.url, STAFF[e % len(STAFF)]) for e in range(shape.employees)]
    employees: list[Screen] = []
    for e, token in enumerate(tokens):
        for j in range(shape.chats_per_employee):
            n = e * shape.chats_per_employee + j
            if n < len(rows):
                employees.append(EmployeeScreen(server.url, rows[n][1], token, sink, mark_read_after))
    screens: list[Screen] = [*clients, *employees]
    took = await open_all(screens)
    print(f"  {len(screens)} screens open in {took:.1f} s", flush=True)
    return list(zip(clients, employees, strict=False)), screens


async def floor_screens(server: stack.Server, shape: Shape, sink: Arrivals) -> tuple[list, list[Screen]]:
    """The same shape as rooms: one room per chat, with its «client» and «employee» tab;
    client screens beyond the employees' chats sit in rooms of their own."""
    run = uuid.uuid4().hex[:6]
    chats = min(shape.clients, shape.employees * shape.chats_per_employee)
    pairs = [
        (FloorScreen(server.url, f"{run}r{i}", sink), FloorScreen(server.url, f"{run}r{i}", sink))
        for i in range(chats)
    ]
    idle = [FloorScreen(server.url, f"{run}idle{i}", sink) for i in range(shape.clients - chats)]
    screens: list[Screen] = [s for pair in pairs for s in pair] + idle
    took = await open_all(screens)
    print(f"  {len(screens)} screens open in {took:.1f} s", flush=True)
    return pairs, screens


async def one_rate(
    server: stack.Server, pairs: list, sink: Arrivals, rate: float, n: int, drain: float
) -> dict[str, Any]:
    group, helpers = server.group, server.helper_groups()
    run = uuid.uuid4().hex[:4]
    mids: list[str] = []
    pending: set[asyncio.Task] = set()
    cpu0, helper0 = group.cpu_seconds(), sum(h.cpu_seconds() for h in helpers)
    machine0, me0 = psutil.cpu_times(), psutil.Process().cpu_times()
    started = time.perf_counter()
    lag = 0.0
    for k in range(n):
        late = time.perf_counter() - (started + k / rate)
        if late < 0:
            await asyncio.sleep(-late)
        else:
            lag = max(lag, late)
        client, employee = pairs[(k // 2) % len(pairs)]
        sender = client if k % 2 == 0 else employee
        mid = f"{run}-{k}"
        mids.append(mid)
        task = asyncio.create_task(sender.send(mid))
        pending.add(task)
        task.add_done_callback(pending.discard)
    sent_for = time.perf_counter() - started
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline and any(m not in sink.ms for m in mids):
        await asyncio.sleep(0.05)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    cpu1, helper1 = group.cpu_seconds(), sum(h.cpu_seconds() for h in helpers)
    machine1, me1 = psutil.cpu_times(), psutil.Process().cpu_times()
    values = [sink.ms[m] for m in mids if m in sink.ms]
    busy = lambda c: c.user + c.system + c.nice + c.irq + c.softirq  # noqa: E731
    total = lambda c: busy(c) + c.idle + c.iowait  # noqa: E731
    return {
        "rate": rate,
        "sent": n,
        "achieved_rate": round(n / sent_for, 1) if sent_for else rate,
        "sender_lag_ms": round(lag * 1000, 1),
        "delivered": len(values),
        "lost": n - len(values),
        **summarize(values),
        "server_cpu_ms_per_msg": round((cpu1 - cpu0) * 1000 / n, 2),
        "db_redis_cpu_ms_per_msg": round((helper1 - helper0) * 1000 / n, 2) if helpers else None,
        "generator_cpu_ms_per_msg": round(((me1.user + me1.system) - (me0.user + me0.system)) * 1000 / n, 2),
        "machine_busy_pct": round(
            100 * (busy(machine1) - busy(machine0)) / (total(machine1) - total(machine0)), 1
        ),
    }


def best_rate(rows: list[dict[str, Any]]) -> float | None:
    ok = [r["rate"] for r in rows if r["p95"] is not None and r["p95"] < 200 and r["lost"] == 0]
    return max(ok) if ok else None


async def measure(name: str, server: stack.Server, shape: Shape, args: argparse.Namespace) -> dict[str, Any]:
    sink = Arrivals()
    if name.startswith("app"):
        pairs, screens = await app_screens(server, shape, sink, args.mark_read_after)
    else:
        pairs, screens = await floor_screens(server, shape, sink)
    await asyncio.sleep(2)  # let the opening settle
    rss_idle = server.group.rss_bytes()
    rows = []
    try:
        for rate in args.rates:
            n = max(args.min_messages, int(rate * args.step_seconds))
            row = await one_rate(server, pairs, sink, rate, n, args.drain)
            rows.append(row)
            print(
                f"  {rate:>5g} msg/s  p50 {row['p50']} p95 {row['p95']} p99 {row['p99']} ms  "
                f"lost {row['lost']}/{n}  server CPU {row['server_cpu_ms_per_msg']} ms/msg"
                + (
                    f" (+db/redis {row['db_redis_cpu_ms_per_msg']})"
                    if row["db_redis_cpu_ms_per_msg"] is not None
                    else ""
                )
                + f"  machine {row['machine_busy_pct']}%",
                flush=True,
            )
            if row["p95"] is None or row["p95"] > args.give_up_ms or row["lost"] > n * 0.05:
                print(f"  overloaded at {rate:g} msg/s: higher rates skipped", flush=True)
                break
            await asyncio.sleep(1)
    finally:
        doubled = sum(s.doubled() for s in screens)
        mark_reads = sum(s.mark_reads for s in screens)
        await asyncio.gather(*(s.close() for s in screens))
    return {
        "target": name,
        "screens": len(screens),
        "rss_idle_MiB": round(rss_idle / 2**20, 1),
        "rss_after_MiB": round(server.group.rss_bytes() / 2**20, 1),
        "doubled": doubled,
        "mark_read_events": mark_reads,
        "best_rate_p95_under_200ms": best_rate(rows),
        "rates": rows,
    }


def server_for(name: str, workers: int) -> AbstractContextManager[stack.Server]:
    if name == "app1":
        return stack.app_server("load-app1")
    if name == "app2":
        return stack.app_server("load-app2", scale_out=True, workers=workers)
    if name == "floor1":
        return stack.floor_server("floor1")
    if name == "floor2":
        return stack.floor_server("floor2", scale_out=True, workers=workers)
    raise SystemExit(f"unknown target {name}")


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}×" if a is not None and b else "—"


def print_ratios(results: dict[str, dict[str, Any]]) -> None:
    for app, floor in (("app1", "floor1"), ("app2", "floor2")):
        if app not in results or floor not in results:
            continue
        stack.section(f"{app} ÷ {floor}")
        floor_rows = {r["rate"]: r for r in results[floor]["rates"]}
        for row in results[app]["rates"]:
            base = floor_rows.get(row["rate"])
            if base is None:
                print(f"  {row['rate']:>5g} msg/s  (the floor did not reach this rate)")
                continue
            print(
                f"  {row['rate']:>5g} msg/s  p50 {ratio(row['p50'], base['p50'])}  "
                f"p95 {ratio(row['p95'], base['p95'])}  p99 {ratio(row['p99'], base['p99'])}  "
                f"server CPU/msg {ratio(row['server_cpu_ms_per_msg'], base['server_cpu_ms_per_msg'])}"
            )
        print(
            f"  highest rate with p95 < 200 ms: {results[app]['best_rate_p95_under_200ms']} vs "
            f"{results[floor]['best_rate_p95_under_200ms']} msg/s; idle RSS "
            f"{results[app]['rss_idle_MiB']} vs {results[floor]['rss_idle_MiB']} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller shape and fewer, shorter steps")
    parser.add_argument("--targets", default="app1,floor1,app2,floor2")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--chats-per-employee", type=int, default=4)
    parser.add_argument("--rates", default="5,20,50,100,200,400", help="msg/s, comma-separated")
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--min-messages", type=int, default=50)
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--give-up-ms", type=float, default=2000.0, help="stop raising the rate past this p95"
    )
    parser.add_argument("--workers", type=int, default=2, help="GRANIAN_WORKERS of app2 and floor2")
    parser.add_argument("--mark-read-after", type=float, default=0.3, help="the tabs' debounce for mark_read")
    parser.add_argument("--json", help="write the raw figures here")
    if "--quick" in sys.argv:  # smaller defaults; flags given explicitly still win
        parser.set_defaults(
            clients=40, employees=10, rates="5,20,50,100", step_seconds=4.0, min_messages=20, drain=6.0
        )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    shape = Shape(args.clients, args.employees, args.chats_per_employee)
    print(f"shape: {shape}; rates {args.rates} msg/s; {args.step_seconds:g} s per rate", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for name in args.targets.split(","):
        stack.section(f"{name}: starting")
        with server_for(name, args.workers) as server:
            stack.section(f"{name} at {server.url}")
            results[name] = asyncio.run(measure(name, server, shape, args))
            got = results[name]
            print(
                f"  highest rate with p95 < 200 ms and nothing lost: {got['best_rate_p95_under_200ms']} "
                f"msg/s; doubled {got['doubled']}; idle RSS {got['rss_idle_MiB']} MiB",
                flush=True,
            )
    print_ratios(results)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"shape": str(shape), "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()

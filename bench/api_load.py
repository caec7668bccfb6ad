"""The mobile API under load: many SSE streams open, API sends at rising rates (P15).

Run: ``source scripts/env.sh && python -m bench.api_load [--quick]``.

Shape (default): 500 concurrent ``GET /api/v1/chat/events`` streams, spread over the demo's
clients that have a chat (several streams per client when there are fewer clients), each
with a client token signed as the partner's backend would. Messages are sent through
``POST /api/v1/chat/messages`` at a fixed rate (open loop: the k-th at t0 + k/rate), round
robin over the clients; each is stamped when it first reaches one of its client's streams.
Per rate: p50/p95/p99 (ms) from the API send to the SSE receipt, delivered/lost, server
CPU per message; at the end the highest rate with p95 < 200 ms and nothing lost, and the
server's peak memory. Then the floor (``../shared/floor``, the same run, ``bench.live_load``'s
shape of rooms) for comparison. It prints figures; it never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any

import httpx
import jwt
import sqlalchemy as sa

from bench import live_load, stack
from bench.live_load import Arrivals, Shape, best_rate, summarize

SECRET = "bench-api-load-secret-0123456789abcdef"


def _token(client_id: int) -> str:
    claims = {"sub": str(client_id), "exp": int(time.time() + 86400)}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _clients(database_url: str, n: int) -> list[int]:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT client_id FROM chat ORDER BY client_id LIMIT :n"), {"n": n}).all()
    engine.dispose()
    return [r[0] for r in rows]


class Streams:
    """The open SSE streams; ``sent`` holds each message key's send time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sent: dict[str, float] = {}
        self.arrivals = Arrivals()
        self.opened = 0
        self.http = httpx.AsyncClient(
            base_url=url, timeout=httpx.Timeout(30, read=None), limits=httpx.Limits(max_connections=None)
        )

    async def one(self, client_id: int, ready: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {_token(client_id)}"}
        params = {"timeout": 3600}
        async with self.http.stream("GET", "/api/v1/chat/events", headers=headers, params=params) as answer:
            async for line in answer.aiter_lines():
                if line.startswith("retry:") and not ready.is_set():
                    self.opened += 1
                    ready.set()
                elif line.startswith("data:"):
                    key = json.loads(line[5:]).get("client_msg_id") or ""
                    if key in self.sent:
                        self.arrivals(key, (time.perf_counter() - self.sent[key]) * 1000)


async def one_rate(
    server: stack.Server,
    streams: Streams,
    senders: httpx.AsyncClient,
    clients: list[int],
    rate: float,
    n: int,
    drain: float,
    peak: list[int],
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    keys: list[str] = []
    pending: set[asyncio.Task] = set()
    errors = [0]
    cpu0 = server.group.cpu_seconds()
    started = time.perf_counter()

    async def send(client_id: int, key: str) -> None:
        streams.sent[key] = time.perf_counter()
        answer = await senders.post(
            "/api/v1/chat/messages",
            json={"client_msg_id": key, "text": f"Нагрузка {key}"},
            headers={"Authorization": f"Bearer {_token(client_id)}"},
        )
        if answer.status_code not in (200, 201):
            errors[0] += 1

    for k in range(n):
        late = time.perf_counter() - (started + k / rate)
        if late < 0:
            await asyncio.sleep(-late)
        key = f"{run}-{k:06d}"
        keys.append(key)
        task = asyncio.create_task(send(clients[k % len(clients)], key))
        pending.add(task)
        task.add_done_callback(pending.discard)
    sent_for = time.perf_counter() - started
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline and any(k not in streams.arrivals.ms for k in keys):
        peak[0] = max(peak[0], server.group.rss_bytes())
        await asyncio.sleep(0.1)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    values = [streams.arrivals.ms[k] for k in keys if k in streams.arrivals.ms]
    return {
        "rate": rate,
        "sent": n,
        "achieved_rate": round(n / sent_for, 1) if sent_for else rate,
        "refused": errors[0],
        "delivered": len(values),
        "lost": n - len(values),
        **summarize(values),
        "server_cpu_ms_per_msg": round((server.group.cpu_seconds() - cpu0) * 1000 / n, 2),
    }


async def measure_api(server: stack.Server, args: argparse.Namespace) -> dict[str, Any]:
    clients = _clients(server.database_url, args.streams)
    streams = Streams(server.url)
    readies = [asyncio.Event() for _ in range(args.streams)]
    t0 = time.perf_counter()
    tasks = [
        asyncio.create_task(streams.one(clients[i % len(clients)], readies[i])) for i in range(args.streams)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=300)
    print(
        f"  {streams.opened} streams open over {len(clients)} clients in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    await asyncio.sleep(2)
    rss_idle = server.group.rss_bytes()
    peak = [rss_idle]
    rows = []
    senders = httpx.AsyncClient(base_url=server.url, timeout=60, limits=httpx.Limits(max_connections=200))
    try:
        for rate in args.rates:
            n = max(args.min_messages, int(rate * args.step_seconds))
            row = await one_rate(server, streams, senders, clients, rate, n, args.drain, peak)
            rows.append(row)
            print(
                f"  {rate:>5g} msg/s  p50 {row['p50']} p95 {row['p95']} p99 {row['p99']} ms  "
                f"lost {row['lost']}/{n} (refused {row['refused']})  "
                f"server CPU {row['server_cpu_ms_per_msg']} ms/msg",
                flush=True,
            )
            if row["p95"] is None or row["p95"] > args.give_up_ms or row["lost"] > n * 0.05:
                print(f"  overloaded at {rate:g} msg/s: higher rates skipped", flush=True)
                break
            await asyncio.sleep(1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await senders.aclose()
        await streams.http.aclose()
    return {
        "target": "api1",
        "streams": args.streams,
        "rss_idle_MiB": round(rss_idle / 2**20, 1),
        "rss_peak_MiB": round(peak[0] / 2**20, 1),
        "best_rate_p95_under_200ms": best_rate(rows),
        "rates": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer streams, fewer and shorter steps")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--rates", default="5,20,50,100,200", help="msg/s, comma-separated")
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--min-messages", type=int, default=50)
    parser.add_argument("--drain", type=float, default=10.0)
    parser.add_argument("--give-up-ms", type=float, default=2000.0)
    parser.add_argument("--no-floor", action="store_true", help="skip the floor's run")
    parser.add_argument("--json", help="write the raw figures here")
    if "--quick" in sys.argv:
        parser.set_defaults(streams=100, rates="5,20,50", step_seconds=4.0, min_messages=20, drain=6.0)
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    # The app reads these at start; the bench signs tokens with the same secret.
    os.environ.update(API_JWT_SECRET=SECRET, API_RATE_LIMIT="0", MESSAGE_RATE_LIMIT="0")
    print(
        f"{args.streams} SSE streams; rates {args.rates} msg/s; {args.step_seconds:g} s per rate", flush=True
    )
    results: dict[str, dict[str, Any]] = {}
    stack.section("api1: «Чат» embedded (1 worker, SQLite), the mobile API")
    with stack.app_server("load-api") as server:
        results["api1"] = asyncio.run(measure_api(server, args))
    got = results["api1"]
    print(
        f"  highest rate with p95 < 200 ms and nothing lost: {got['best_rate_p95_under_200ms']} msg/s; "
        f"RSS idle {got['rss_idle_MiB']} MiB, peak {got['rss_peak_MiB']} MiB",
        flush=True,
    )
    if not args.no_floor:
        stack.section("floor1: the floor room app, the same run (Socket.IO screens)")
        shape = Shape(clients=min(args.streams, 200), employees=args.streams // 10 or 1, chats_per_employee=4)
        floor_args = argparse.Namespace(
            rates=args.rates,
            min_messages=args.min_messages,
            step_seconds=args.step_seconds,
            drain=args.drain,
            give_up_ms=args.give_up_ms,
            mark_read_after=0.3,
        )
        with stack.floor_server("floor1") as server:
            results["floor1"] = asyncio.run(live_load.measure("floor1", server, shape, floor_args))
        floor = results["floor1"]
        print(
            f"  floor: highest rate with p95 < 200 ms: {floor['best_rate_p95_under_200ms']} msg/s; "
            f"idle RSS {floor['rss_idle_MiB']} MiB, after {floor['rss_after_MiB']} MiB",
            flush=True,
        )
        stack.section("api1 vs floor1")
        floor_rows = {r["rate"]: r for r in floor["rates"]}
        for row in got["rates"]:
            base = floor_rows.get(row["rate"], {})
            print(
                f"  {row['rate']:>5g} msg/s  api p95 {row['p95']} ms vs floor p95 {base.get('p95')} ms; "
                f"api p99 {row['p99']} vs {base.get('p99')} ms"
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()

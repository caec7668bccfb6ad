"""Prints the cold start to the first served page, and the client → employee latency.

Run: ``source scripts/env.sh && python -m bench.live_latency [--messages 30]``.
The latency is measured from the client's «Отправить» click until the text is
visible on the employee's open chat card (Playwright polls the DOM, so the
figure includes a few ms of polling). It prints figures; it never fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import CLICK_SEND_JS, NO_RATE_LIMIT, client_and_staff, percentile
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=30)
    args = parser.parse_args()
    app = RunningApp(Path(tempfile.mkdtemp(prefix="chat-bench-")), NO_RATE_LIMIT)
    app.load_demo()
    started = time.perf_counter()
    app.start()
    cold_start = time.perf_counter() - started
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            client, staff = client_and_staff(browser, app.url)
            staff.locator("[data-testid=chat-row]").filter(has_text="Иванов Иван Иванович").get_by_role(
                "link", name="Иванов Иван Иванович"
            ).click()
            staff.get_by_text("Первое сообщение").wait_for()
            latencies: list[float] = []
            for n in range(args.messages):
                text = f"Замер {n} {time.time_ns()}"
                client.get_by_placeholder("Сообщение").fill(text)
                clicked = client.evaluate(CLICK_SEND_JS)
                staff.get_by_text(text).wait_for(timeout=10_000)
                latencies.append(staff.evaluate("performance.timeOrigin + performance.now()") - clicked)
            browser.close()
    finally:
        app.stop()
    print(f"cold start to first served page: {cold_start:.1f} s")
    print(
        f"client send → visible on employee card, {len(latencies)} messages: "
        f"median {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )


if __name__ == "__main__":
    main()

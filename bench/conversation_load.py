"""Send → visible latency under load, and the time to upload and show a 40 MB file.

Run: ``source scripts/env.sh && python -m bench.conversation_load [--rounds 10]``.

20 clients and 5 employees, every one in its own browser context (its own
websocket). Each employee has four of the clients' chats open, one per tab,
and every pair writes back and forth at the same time. A MutationObserver in
the receiving tab stamps the moment a message appears; the sender stamps the
moment before its click. Both read the same machine clock. It prints figures
and never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from bench.common import CLICK_SEND_JS, NO_RATE_LIMIT, percentile
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp

EMPLOYEES = ("admin@demo.ru", "manager@demo.ru", "vasiliev@demo.ru", "sokolova@demo.ru", "mikhailov@demo.ru")
CLIENTS = 20
NO_THROTTLING = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
MARK = "Замер-"

# Stamps, in epoch milliseconds, the first time each «Замер-…» token shows up in the page.
OBSERVER = """() => {
  window.__seen = {};
  const scan = (node) => {
    const text = node.textContent || "";
    for (const token of text.match(/Замер-[\\w-]+/g) || []) {
      if (!(token in window.__seen)) window.__seen[token] = performance.timeOrigin + performance.now();
    }
  };
  // React reuses list nodes and rewrites their text, so look at every changed target too.
  new MutationObserver((records) => {
    for (const r of records) {
      scan(r.target.nodeType === 3 ? r.target.parentNode : r.target);
      for (const n of r.addedNodes) scan(n);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


async def open_client(browser: Browser, url: str, index: int) -> tuple[Page, int]:
    """Client ``index`` of the picker, in its own context; returns (page, client id)."""
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{url}/app")
    picker = page.get_by_label("Кто открывает приложение")
    option = picker.locator("option").nth(index)
    name, client_id = await option.inner_text(), int(await option.get_attribute("value") or 0)
    await picker.select_option(value=str(client_id))
    await page.get_by_role("button", name="Открыть приложение").click()
    await page.get_by_role("button", name="Связаться с нами").click()
    await page.get_by_role("button", name="Написать в чат").click()
    await send(page, f"Здравствуйте, это {name}")
    await page.locator("[data-testid=message]").filter(has_text=f"Здравствуйте, это {name}").first.wait_for()
    return page, client_id


async def send(page: Page, text: str) -> float:
    await page.get_by_placeholder("Сообщение").fill(text)
    return await page.evaluate(CLICK_SEND_JS)


async def open_employee_tabs(browser: Browser, url: str, email: str, chat_ids: list[int]) -> list[Page]:
    context = await browser.new_context()
    login = await context.new_page()
    await login.goto(f"{url}/login")
    await login.get_by_label("E-mail").fill(email)
    await login.get_by_label("Пароль").fill("demo")
    await login.get_by_role("button", name="Войти").click()
    await login.wait_for_url("**/support/chats")
    tabs = [login] + [await context.new_page() for _ in chat_ids[1:]]
    for tab, chat_id in zip(tabs, chat_ids, strict=True):
        await tab.goto(f"{url}/support/chats/{chat_id}")
        await tab.get_by_placeholder("Сообщение").wait_for()
    return tabs


async def converse(
    client: Page, staff: Page, pair: int, rounds: int, sent: dict[str, tuple[float, Page]]
) -> None:
    rng = random.Random(pair)
    await asyncio.sleep(rng.random())
    for k in range(rounds):
        for side, page, other in (("c", client, staff), ("e", staff, client)):
            token = f"{MARK}{side}{pair}-{k}"
            sent[token] = (await send(page, f"{token} сообщение"), other)
            await asyncio.sleep(0.4 + rng.random() * 0.8)


def peak_memory_mib(pid: int) -> float:
    """The highest resident set of the app's process group (granian and its workers)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(Path(status.parent / "stat").read_text().split()[4]) == pid:  # same process group
                total += int(fields.get("VmHWM", "0 kB").split()[0])
        except (OSError, ValueError):
            continue
    return total / 1024


async def run(rounds: int, clients_count: int) -> None:
    app = RunningApp(Path(tempfile.mkdtemp(prefix="chat-bench-")), NO_RATE_LIMIT)
    app.load_demo()
    app.start()
    try:
        async with async_playwright() as p:
            # Four tabs per employee share a window; Chromium would throttle the hidden ones,
            # which measures its power saving rather than the app.
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + NO_THROTTLING)
            clients = [await open_client(browser, app.url, i + 1) for i in range(clients_count)]
            db = sqlite3.connect(app.env["DATABASE_URL"].removeprefix("sqlite:///"))
            chat_of = dict(db.execute("SELECT client_id, id FROM chat"))
            per_employee = clients_count // len(EMPLOYEES)
            staff_tabs: list[Page] = []
            for n, email in enumerate(EMPLOYEES):
                ids = [client_id for _, client_id in clients[n * per_employee : (n + 1) * per_employee]]
                staff_tabs += await open_employee_tabs(browser, app.url, email, [chat_of[x] for x in ids])
            for page in [c for c, _ in clients] + staff_tabs:
                await page.evaluate(OBSERVER)

            sent: dict[str, tuple[float, Page]] = {}
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    converse(c, s, i, rounds, sent)
                    for i, ((c, _), s) in enumerate(zip(clients, staff_tabs, strict=True))
                )
            )
            await asyncio.sleep(3)
            elapsed = time.perf_counter() - started
            # When the server stored each message: splits the latency into the way in
            # (click → commit) and the way out (commit → drawn on the other side).
            stored = {
                text.split()[0]: datetime.fromisoformat(created).replace(tzinfo=UTC).timestamp() * 1000
                for text, created in db.execute(
                    "SELECT text, created_at FROM message WHERE text LIKE ?", (f"{MARK}%",)
                )
            }
            to_staff, to_client, way_in, way_out, lost = [], [], [], [], 0
            for token, (t0, receiver) in sent.items():
                seen = await receiver.evaluate("(t) => window.__seen[t]", token)
                if seen is None:
                    lost += 1
                    continue
                (to_client if token.startswith(f"{MARK}e") else to_staff).append(seen - t0)
                if token in stored:
                    way_in.append(stored[token] - t0)
                    way_out.append(seen - stored[token])

            # One 40 MB document: pick → uploaded (staged) → sent → shown on the employee's card.
            big = Path(tempfile.mkdtemp()) / "план-этажа.pdf"
            with big.open("wb") as fh:
                fh.write(b"%PDF-1.7\n")
                fh.truncate(40 * 1024 * 1024)
            client, staff = clients[0][0], staff_tabs[0]
            t0 = time.perf_counter()
            async with client.expect_file_chooser() as chooser:
                await client.get_by_role("button", name="Прикрепить файл").click()
            await (await chooser.value).set_files(big)
            await client.get_by_test_id("staged-file").wait_for(timeout=120_000)
            uploaded = time.perf_counter() - t0
            await client.get_by_role("button", name="Отправить").click()
            await staff.get_by_test_id("message-file").filter(has_text=big.name).wait_for(timeout=60_000)
            shown = time.perf_counter() - t0
            await browser.close()
        memory = peak_memory_mib(app.proc.pid) if app.proc else 0.0
    finally:
        app.stop()

    both = to_staff + to_client
    print(
        f"{clients_count} clients + {len(EMPLOYEES)} employees ({len(staff_tabs)} employee tabs), "
        f"{rounds} rounds"
    )
    print(f"messages: {len(sent)} in {elapsed:.1f} s ({len(sent) / elapsed:.1f} msg/s), not seen: {lost}")
    for label, values in (
        ("client → employee", to_staff),
        ("employee → client", to_client),
        ("both", both),
        ("  of which click → stored", way_in),
        ("  of which stored → drawn on the other side", way_out),
    ):
        print(
            f"{label}: median {statistics.median(values):.1f} ms, "
            f"p95 {percentile(values, 0.95):.1f} ms, max {max(values):.1f} ms ({len(values)} messages)"
        )
    print(f"40 MB file: uploaded in {uploaded:.2f} s, shown on the employee's card after {shown:.2f} s")
    print(f"app peak memory (VmHWM, process group): {memory:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=CLIENTS, help="a multiple of 5")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.clients))


if __name__ == "__main__":
    main()

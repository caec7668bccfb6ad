"""One client and one employee in Chromium: send → visible on the other screen, both ways,
next to the floor's tab → tab measured the same way in the same run.

Run: ``source scripts/env.sh && python -m bench.live_pair [--quick] [--messages 100]
[--targets embedded,scaleout]``.

Method (the same for «Чат» and the floor): the receiving page has a MutationObserver that
stamps the moment the awaited text enters its DOM; the sending page fills the text and
clicks its send button from inside the page (``bench.common.CLICK_SEND_JS``: no Playwright
actionability wait) and returns the click's moment. Both stamps are
``performance.timeOrigin + performance.now()`` of pages in one browser on one host.
It prints figures; it never fails on time.
"""

from __future__ import annotations

import argparse
import time
import uuid
from contextlib import AbstractContextManager

import sqlalchemy as sa
from playwright.sync_api import Page, sync_playwright

from bench import stack
from bench.common import CLICK_SEND_JS, percentile
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, login, open_client_app

OBSERVE_JS = """() => {
  window.__arrived = {};
  window.__want = "";
  new MutationObserver(() => {
    const want = window.__want;
    if (want && !(want in window.__arrived) && document.body.textContent.includes(want)) {
      window.__arrived[want] = performance.timeOrigin + performance.now();
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
FLOOR_CLICK_JS = """(text) => {
  window.__msg = text;
  const clicked = performance.timeOrigin + performance.now();
  document.getElementById("send").click();
  return clicked;
}"""


def expect_text(page: Page, text: str) -> None:
    page.evaluate("t => { window.__want = t; }", text)


def arrival(page: Page, text: str, timeout: float = 20_000) -> float:
    page.wait_for_function("t => t in window.__arrived", arg=text, timeout=timeout, polling=5)
    return page.evaluate("t => window.__arrived[t]", text)


def app_pages(server: stack.Server, browser) -> tuple[Page, Page]:  # type: ignore[no-untyped-def]
    """(client, employee): a demo client on its chat, the manager on that chat's card."""
    engine = sa.create_engine(server.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        client_id, chat_id = conn.execute(
            sa.text("SELECT client_id, id FROM chat WHERE client_id <= 35 ORDER BY id LIMIT 1")
        ).one()
    engine.dispose()
    client = browser.new_context().new_page()
    open_client_app(client, server.url, str(client_id))
    client.get_by_placeholder("Сообщение").wait_for()
    staff = browser.new_context().new_page()
    login(staff, server.url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    staff.goto(f"{server.url}/support/chats/{chat_id}")
    staff.get_by_placeholder("Сообщение").wait_for()
    return client, staff


def floor_pages(server: stack.Server, browser) -> tuple[Page, Page]:  # type: ignore[no-untyped-def]
    room = uuid.uuid4().hex[:8]
    pages = []
    for _ in range(2):
        page = browser.new_context().new_page()
        page.goto(f"{server.url}/r/{room}")
        page.locator("#send").wait_for()
        pages.append(page)
    time.sleep(1)  # both tabs linked to the room
    return pages[0], pages[1]


def one_way(sender: Page, receiver: Page, text: str, floor: bool) -> float:
    expect_text(receiver, text)
    if floor:
        clicked = sender.evaluate(FLOOR_CLICK_JS, text)
    else:
        sender.get_by_placeholder("Сообщение").fill(text)
        clicked = sender.evaluate(CLICK_SEND_JS)
    return arrival(receiver, text) - clicked


def measure(server: stack.Server, floor: bool, messages: int) -> dict[str, list[float]]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        a, b = floor_pages(server, browser) if floor else app_pages(server, browser)
        for page in (a, b):
            page.evaluate(OBSERVE_JS)
        run = uuid.uuid4().hex[:6]
        for n in range(3):  # warm both directions
            one_way(a, b, f"прогрев {run} {n}", floor)
            one_way(b, a, f"прогрев ответ {run} {n}", floor)
        there, back = [], []
        for n in range(messages):
            there.append(one_way(a, b, f"замер {run} {n}", floor))
            back.append(one_way(b, a, f"замер ответ {run} {n}", floor))
        browser.close()
    if floor:
        return {"tab A → tab B": there, "tab B → tab A": back}
    return {"client → employee": there, "employee → client": back}


def line(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):6.1f}  p95 {percentile(values, 0.95):6.1f}  "
        f"p99 {percentile(values, 0.99):6.1f}  max {max(values):6.1f} ms  (n={len(values)})"
    )


def servers_for(target: str, workers: int) -> tuple[AbstractContextManager, AbstractContextManager]:
    if target == "embedded":
        return stack.app_server("pair-app1"), stack.floor_server("floor1")
    if target == "scaleout":
        return (
            stack.app_server("pair-app2", scale_out=True, workers=workers),
            stack.floor_server("floor2", scale_out=True, workers=workers),
        )
    raise SystemExit(f"unknown target {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100, help="per direction")
    parser.add_argument("--quick", action="store_true", help="20 messages per direction")
    parser.add_argument("--targets", default="embedded", help="embedded,scaleout")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    messages = 20 if args.quick else args.messages
    for target in args.targets.split(","):
        app_cm, floor_cm = servers_for(target, args.workers)
        with app_cm as app:
            stack.section(f"«Чат» {target}: {app.url}")
            ours = measure(app, False, messages)
            for direction, values in ours.items():
                print(f"  {direction:18} {line(values)}", flush=True)
        with floor_cm as floor:
            stack.section(f"floor {target}: {floor.url}")
            base = measure(floor, True, messages)
            for direction, values in base.items():
                print(f"  {direction:18} {line(values)}", flush=True)
        floor_all = [v for values in base.values() for v in values]
        stack.section(f"«Чат» ÷ floor, {target} (floor: both directions together)")
        for direction, values in ours.items():
            print(
                f"  {direction:18} p50 {percentile(values, 0.5) / percentile(floor_all, 0.5):.1f}×  "
                f"p95 {percentile(values, 0.95) / percentile(floor_all, 0.95):.1f}×  "
                f"p99 {percentile(values, 0.99) / percentile(floor_all, 0.99):.1f}×",
                flush=True,
            )


if __name__ == "__main__":
    main()

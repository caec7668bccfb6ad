"""Prints the size of the live updates a screen receives per new message.

Run: ``source scripts/env.sh && python -m bench.update_bytes [--messages 40]``.
The client sends ``--messages`` messages; the employee's open card records every
websocket frame it receives. A live update should carry the new message, not the
window of 50 the card shows: the script prints both, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import WebSocket, sync_playwright

from bench.common import CLICK_SEND_JS, client_and_staff, percentile
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningApp, open_chat_of


def _window_bytes(frames: list[str]) -> int:
    """The JSON size of the card's whole window, as the opening update carried it."""
    biggest = 0
    for frame in frames:
        start = frame.find("[")
        if start < 0 or '"messages' not in frame:
            continue
        try:
            payload = json.loads(frame[start:])
        except ValueError:
            continue
        for state in (payload[1].get("delta") or {}).values() if len(payload) > 1 else []:
            window = state.get("messages_rx_state_")
            if isinstance(window, list) and window:
                biggest = max(biggest, len(json.dumps(window, ensure_ascii=False).encode()))
    return biggest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    app = RunningApp(Path(tempfile.mkdtemp(prefix="chat-bench-")))
    app.load_demo()
    app.start()
    frames: list[str] = []
    sizes: list[int] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            client, staff = client_and_staff(browser, app.url)

            def record(ws: WebSocket) -> None:
                ws.on("framereceived", lambda f: frames.append(f if isinstance(f, str) else f.decode()))

            staff.on("websocket", record)
            open_chat_of(staff, app.url, "Иванов Иван Иванович")
            staff.get_by_text("Первое сообщение").wait_for()
            time.sleep(1)
            for n in range(args.messages):
                text = f"Замер размера {n} {time.time_ns()}"
                client.get_by_placeholder("Сообщение").fill(text)
                before = len(frames)
                client.evaluate(CLICK_SEND_JS)
                staff.get_by_text(text).wait_for(timeout=10_000)
                time.sleep(0.3)  # let the read mark's own update arrive too
                arrived = [f for f in frames[before:] if text in f]
                sizes.extend(len(f.encode()) for f in arrived)
            browser.close()
    finally:
        app.stop()
    window = _window_bytes(frames)
    print(
        f"live update with one new message, {len(sizes)} updates: median {statistics.median(sizes):.0f} B, "
        f"p95 {percentile(sizes, 0.95):.0f} B, max {max(sizes)} B"
    )
    print(
        f"the card's window of messages as opened: {window} B; median update ÷ window = "
        f"{statistics.median(sizes) / window:.2f}"
        if window
        else "window not seen"
    )


if __name__ == "__main__":
    main()

"""What the benches share: the percentile they print and a precise send."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import login, open_client_app

# Benches measure how fast messages go: the per-author rate limit (MESSAGE_RATE_LIMIT) is off.
NO_RATE_LIMIT = {"MESSAGE_RATE_LIMIT": "0"}

# Clicks «Отправить» from inside the page and returns the moment of the click, in epoch
# milliseconds. Playwright's own click first waits for the button to be stable for a
# couple of frames, which would add tens of milliseconds that no user waits.
CLICK_SEND_JS = """() => {
  const button = [...document.querySelectorAll("button[type=submit]")]
    .find((b) => b.textContent.trim() === "Отправить");
  const clicked = performance.timeOrigin + performance.now();
  button.click();
  return clicked;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def client_and_staff(browser: Browser, url: str) -> tuple[Page, Page]:
    """«Иванов Иван Иванович» in the app with a first message sent, and the manager logged in
    on the chat list: each in its own browser context."""
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()
    open_client_app(client, url, "Иванов Иван Иванович")
    client.get_by_placeholder("Сообщение").fill("Первое сообщение")
    client.get_by_role("button", name="Отправить").click()
    client.locator("[data-testid=message]").first.wait_for()
    login(staff, url, "manager@demo.ru")
    staff.wait_for_url("**/support/chats")
    return client, staff

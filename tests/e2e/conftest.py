"""The real app, started as a user starts it, and Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page

from chat_crm.config import PROJECT_ROOT
from tests.servers import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class RunningApp:
    """The app as ``scripts/run.sh`` serves it (``chat_crm.serve``): a free port, its own SQLite file."""

    def __init__(
        self, data_dir: Path, extra_env: dict[str, str] | None = None, *, shared_build: bool = False
    ) -> None:
        """``shared_build``: only the session's ``app_server`` builds into REFLEX_WEB_WORKDIR
        itself. The port and URL are baked into a build, so any other app gets a folder of
        its own, or its build would replace the one the shared app is serving."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "app.log"
        self.clock_path = data_dir / "clock_offset"
        self.env = {
            **os.environ,
            "CHAT_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'chat.db'}",
            "PUBLIC_BASE_URL": self.url,
            "TIMER_INTERVAL_SECONDS": "1",  # the B9 sweep, so a test need not wait 15 s
            "CHAT_TEST_CLOCK_FILE": str(self.clock_path),  # advance_clock(): the only thing faked
            **(extra_env or {}),
        }
        if not shared_build and "REFLEX_WEB_WORKDIR" not in (extra_env or {}):
            base = os.environ.get("REFLEX_WEB_WORKDIR", str(PROJECT_ROOT / ".web")).rstrip("/")
            self.env["REFLEX_WEB_WORKDIR"] = f"{base}-{data_dir.name.rstrip('0123456789')}"
        if "REDIS_URL" not in (extra_env or {}):
            self.env.pop("REDIS_URL", None)  # the embedded default unless a test asks for Redis
        self.proc: subprocess.Popen | None = None

    def load_demo(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "chat_crm.demo", "--if-empty"], env=self.env, cwd=PROJECT_ROOT, check=True
        )

    def start(self) -> None:
        self.launch([sys.executable, "-m", "chat_crm.serve", "--port", str(self.port)], self.serves_pages)

    def serves_pages(self) -> bool:
        return (
            httpx.get(f"{self.url}/ping", timeout=1).status_code == 200
            and httpx.get(f"{self.url}/login", timeout=2, follow_redirects=True).status_code == 200
        )

    def launch(self, command: list[str], ready: Callable[[], bool]) -> None:
        """Start ``command`` in its own process group and wait until ``ready()`` holds."""
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            command,
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the app exited: see {self.log_path}\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                if ready():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError("the app did not start in 300 s")

    def advance_clock(self, seconds: float) -> None:
        """Move the running app's clock forward (models.base.utcnow reads this file)."""
        current = float(self.clock_path.read_text() or 0) if self.clock_path.exists() else 0.0
        self.clock_path.write_text(str(current + seconds))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """kill -9 of the whole process group, as a crash: nothing is flushed or closed."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = RunningApp(tmp_path_factory.mktemp("app"), shared_build=True)
    app.load_demo()
    app.start()
    yield app
    app.stop()


@pytest.fixture
def pair(app_server: RunningApp, browser: Browser) -> Iterator[tuple[Page, Page]]:
    """(employee, client): the manager and a demo client, each in its own browser context."""
    staff = browser.new_context().new_page()
    client = browser.new_context().new_page()
    yield staff, client
    staff.context.close()
    client.context.close()


def login(page: Page, base_url: str, email: str, password: str = "demo", *, refused: bool = False) -> None:
    """Log in through the form; unless the login is expected to be ``refused``, wait until the
    session cookie (set by a full load of /auth/session) has landed."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()
    if not refused:
        page.wait_for_url(lambda url: "/login" not in url and "/auth/" not in url)


def start_client_app(page: Page, base_url: str, who: str | int, channel: str = "iOS") -> str:
    """Open /app as ``who``: a name, or a client id as a string, or an index in the picker.
    Stops on the storefront; returns the client's name."""
    page.goto(f"{base_url}/app")
    picker = page.get_by_label("Кто открывает приложение")
    if isinstance(who, int):
        who = picker.locator("option").nth(who).inner_text()
    if who.isdigit():
        picker.select_option(value=who)
        who = picker.locator(f"option[value='{who}']").inner_text()
    else:
        picker.select_option(label=who)
    page.get_by_label("Канал").select_option(label=channel)
    page.get_by_role("button", name="Открыть приложение").click()
    return who


def open_client_app(page: Page, base_url: str, who: str | int, channel: str = "iOS") -> str:
    """Open /app as ``who`` and go to the chat the usual way; returns the client's name."""
    name = start_client_app(page, base_url, who, channel)
    page.get_by_role("button", name="Связаться с нами").click()
    page.get_by_role("button", name="Написать в чат").click()
    return name


def open_chat_of(page: Page, base_url: str, client_name: str) -> None:
    """From the chat list, as a logged-in employee, open the chat of ``client_name``."""
    page.goto(f"{base_url}/support/chats")
    page.get_by_placeholder("Поиск по номеру чата и ФИО клиента").fill(client_name)
    page.locator("[data-testid=chat-row]").filter(has_text=client_name).get_by_role(
        "link", name=client_name
    ).click()
    page.wait_for_url(re.compile(r"/support/chats/\d+$"))


def send(page: Page, text: str) -> None:
    """Type into «Сообщение» and press «Отправить», on either screen."""
    page.get_by_placeholder("Сообщение").fill(text)
    page.get_by_role("button", name="Отправить").click()


def bubble(page: Page, text: str) -> Locator:
    """The message bubbles that show ``text``."""
    return page.locator("[data-testid=message]").filter(has_text=text)

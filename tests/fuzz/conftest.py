"""The fuzz suite drives the real app's backend (SQLite, the demo) over Socket.IO.

Only the backend runs (``reflex run --env prod --backend-only``): the fuzzer speaks the
websocket and HTTP as a crafted client would, so no frontend build is waited for.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RunningApp


class BackendApp(RunningApp):
    """The backend alone: it builds no frontend, so it may share one compile folder."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(data_dir, extra_env, shared_build=True)

    def start(self) -> None:
        self.env.setdefault("REFLEX_WEB_WORKDIR", os.environ.get("REFLEX_WEB_WORKDIR", ".web-fuzz"))
        self.env["PYTHONUNBUFFERED"] = "1"  # the test reads the log as it goes
        command = ["reflex", "run", "--env", "prod", "--backend-only", "--backend-port", str(self.port)]
        self.launch([sys.executable, "-m", *command], self.answers_ping)

    def answers_ping(self) -> bool:
        return httpx.get(f"{self.url}/ping", timeout=1).status_code == 200


class _Existing(RunningApp):
    """A backend already running (FUZZ_URL, FUZZ_DATA_DIR): to watch its log while fuzzing."""

    def __init__(self, url: str, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.url, self.log_path = url, data_dir / "be.log"
        self.env["DATABASE_URL"] = f"sqlite:///{data_dir / 'chat.db'}"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    if os.environ.get("FUZZ_URL"):
        yield _Existing(os.environ["FUZZ_URL"], Path(os.environ["FUZZ_DATA_DIR"]))
        return
    keep = os.environ.get("FUZZ_DATA_DIR")  # to read the backend's log after a failure
    data = Path(keep) if keep else tmp_path_factory.mktemp("fuzz")
    data.mkdir(parents=True, exist_ok=True)
    app = BackendApp(data)
    app.load_demo()
    app.start()
    yield app
    app.stop()

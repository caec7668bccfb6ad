"""The servers the benches start, and what they measure of them.

- ``app_server``: «Чат» as a user starts it (``python -m chat_crm.serve``), either the
  embedded default (one worker, SQLite, in-memory states) or scale-out (PostgreSQL, Redis,
  ``GRANIAN_WORKERS``), with the demo loaded.
- ``floor_server``: the bare Reflex room of ``../shared/floor`` (read-only there, so it runs from
  a copy), on the same machine in the same run: every figure is printed as a ratio to it.
- ``ProcessGroup``: CPU seconds and RSS of a server's whole process tree (psutil).

Each server builds its frontend in its own folder under the temp dir (kept between runs, so
only the first run installs node packages), never in the project's ``.web``, which the
browser tests use.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.common import NO_RATE_LIMIT
from chat_crm.config import PROJECT_ROOT
from tests import servers
from tests.e2e.conftest import RunningApp

CACHE = Path(tempfile.gettempdir()) / "chat-crm-bench"
FLOOR_SOURCE = PROJECT_ROOT.parent / "shared" / "floor"
# The floor's one state, as python-socketio clients address it (floor/sio_load.py).
FLOOR_STATE = (
    "reflex___state____state.reflex___istate___shared____shared_state_base_internal"
    ".floorapp___floorapp____room"
)


class ProcessGroup:
    """A server's process tree: CPU seconds (user + system) and RSS, children included."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._seen: dict[int, psutil.Process] = {}

    def processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            found = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for proc in found:  # keep the same objects: psutil caches per-process state
            self._seen.setdefault(proc.pid, proc)
        return [self._seen[p.pid] for p in found]

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def rss_bytes(self) -> int:
        total = 0
        for proc in self.processes():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


@dataclass
class Server:
    """One running server: where it answers, and the processes to measure."""

    name: str
    url: str
    pid: int
    database_url: str = ""
    extra_pids: list[int] = field(default_factory=list)  # redis-server, postgres

    @property
    def group(self) -> ProcessGroup:
        return ProcessGroup(self.pid)

    def helper_groups(self) -> list[ProcessGroup]:
        return [ProcessGroup(pid) for pid in self.extra_pids]


def _web_dir(name: str) -> str:
    path = CACHE / f"web-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def _pids_listening(port: int) -> list[int]:
    found = []
    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            found.append(conn.pid)
    return found


@contextmanager
def app_server(name: str = "app", *, scale_out: bool = False, workers: int = 2) -> Iterator[Server]:
    """«Чат» with the demo loaded: embedded (SQLite, 1 worker) or scale-out (PostgreSQL, Redis)."""
    with ExitStack() as stack:
        data = Path(tempfile.mkdtemp(prefix=f"chat-bench-{name}-"))
        stack.callback(shutil.rmtree, data, True)
        env = {"REFLEX_WEB_WORKDIR": _web_dir(name), "TIMER_INTERVAL_SECONDS": "15", **NO_RATE_LIMIT}
        extra_pids: list[int] = []
        if scale_out:
            pg_url = stack.enter_context(servers.postgres_server())
            redis_dir = data / "redis"
            redis_dir.mkdir()
            redis_url = stack.enter_context(servers.redis_server(redis_dir))
            env.update(DATABASE_URL=pg_url, REDIS_URL=redis_url, GRANIAN_WORKERS=str(workers))
            for port in (
                int(pg_url.rsplit(":", 1)[1].split("/")[0]),
                int(redis_url.rsplit(":", 1)[1].split("/")[0]),
            ):
                extra_pids += _pids_listening(port)
        else:
            env["GRANIAN_WORKERS"] = "1"
        app = RunningApp(data, env)  # chat_crm.serve, building in its own REFLEX_WEB_WORKDIR
        app.load_demo()
        app.start()
        stack.callback(app.stop)
        assert app.proc is not None
        yield Server(name, app.url, app.proc.pid, app.env["DATABASE_URL"], extra_pids)


def _floor_copy() -> Path:
    """The floor app copied next to its own frontend build (the shared folder is read-only)."""
    root = CACHE / "floor"
    (root / "floorapp").mkdir(parents=True, exist_ok=True)
    for item in ("rxconfig.py", "floorapp/__init__.py", "floorapp/floorapp.py"):
        shutil.copyfile(FLOOR_SOURCE / item, root / item)
    return root


def start_floor_process(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    root = _floor_copy()
    full_env = {**os.environ, **env}
    full_env.pop("REDIS_URL", None)
    return subprocess.Popen(
        ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port)],
        cwd=root,
        env=full_env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_served(url: str, page: str, proc: subprocess.Popen, timeout: float = 300) -> float:
    """Seconds until ``page`` answers 200 (the first served page)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}{page}", timeout=2, follow_redirects=True).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url}{page} was not served in {timeout} s")


def stop_process_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextmanager
def floor_server(name: str = "floor", *, scale_out: bool = False, workers: int = 2) -> Iterator[Server]:
    """The bare room app: one worker with in-memory states, or Redis with ``workers`` workers."""
    with ExitStack() as stack:
        data = Path(tempfile.mkdtemp(prefix=f"chat-bench-{name}-"))
        stack.callback(shutil.rmtree, data, True)
        port = servers.free_port()
        env = {"REFLEX_WEB_WORKDIR": _web_dir(name)}
        extra_pids: list[int] = []
        if scale_out:
            redis_url = stack.enter_context(servers.redis_server(data))
            env.update(REFLEX_REDIS_URL=redis_url, GRANIAN_WORKERS=str(workers))
            extra_pids += _pids_listening(int(redis_url.rsplit(":", 1)[1].split("/")[0]))
        else:
            env.update(REFLEX_STATE_MANAGER_MODE="memory", GRANIAN_WORKERS="1")
        proc = start_floor_process(port, env, data / "floor.log")
        stack.callback(stop_process_group, proc)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_served(url, "/r/warm", proc)
        except Exception:
            print((data / "floor.log").read_text()[-3000:], file=sys.stderr)
            raise
        yield Server(name, url, proc.pid, "", extra_pids)


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)

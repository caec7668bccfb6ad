"""Cold start: seconds from process start to the first served page, for «Чат» and the floor.

Run: ``source scripts/env.sh && python -m bench.cold_start [--runs 2]``.

«Чат» starts as ``scripts/run.sh`` starts it (``python -m chat_crm.serve``) from a copy of the
project's sources in the temp dir, so its frontend build never touches the project's
``.web``. Two cases, each for «Чат» and the floor:
  build    the frontend is compiled and built on start (the first start after a change);
  built    the frontend of the last start is reused: ``chat_crm.serve`` sees nothing changed;
           the floor gets the same treatment (Reflex's compile and build skipped).
The first served page is /login for «Чат» and /r/<room> for the floor (HTTP 200).
It prints figures; it never fails on time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import stack
from chat_crm.config import PROJECT_ROOT
from tests import servers

APP_COPY = stack.CACHE / "cold-app"
COPIED = ("chat_crm", "assets", "alembic", "alembic.ini", "rxconfig.py", "reflex.lock", "pyproject.toml")
# What chat_crm.serve does when nothing changed, applied to the floor.
SKIP_BUILD = (
    "import sys; from reflex import reflex as cli; from reflex.utils import build; "
    "cli._compile_app = lambda **_: None; build.setup_frontend_prod = lambda _root: None; "
    "sys.argv = ['reflex', 'run', '--env', 'prod', '--single-port', '--frontend-port', sys.argv[1]]; "
    "cli.cli()"
)


def copy_sources() -> Path:
    """The project's sources as they are now, next to a ``.web`` of their own."""
    APP_COPY.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = PROJECT_ROOT / name, APP_COPY / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, target)
    return APP_COPY


def app_start(port: int, data: Path, force_build: bool) -> float:
    root = copy_sources()
    if force_build:
        (root / ".web" / "chat_crm_build.stamp").unlink(missing_ok=True)
    env = {
        **os.environ,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CHAT_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'chat.db'}",
    }
    for name in ("REDIS_URL", "REFLEX_WEB_WORKDIR", "PYTHONPATH"):
        env.pop(name, None)
    if not (data / "chat.db").exists():
        subprocess.run(
            [sys.executable, "-m", "chat_crm.demo"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "chat_crm.serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=(data / "app.log").open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return stack.wait_until_served(f"http://127.0.0.1:{port}", "/login", proc)
    finally:
        stack.stop_process_group(proc)


def floor_start(port: int, data: Path, built: bool) -> float:
    root = stack._floor_copy()
    env = {**os.environ, "REFLEX_STATE_MANAGER_MODE": "memory", "GRANIAN_WORKERS": "1"}
    for name in ("REDIS_URL", "REFLEX_REDIS_URL", "REFLEX_WEB_WORKDIR", "PYTHONPATH"):
        env.pop(name, None)
    command = (
        [sys.executable, "-c", SKIP_BUILD, str(port)]
        if built
        else ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(port)]
    )
    proc = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=(data / "floor.log").open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return stack.wait_until_served(f"http://127.0.0.1:{port}", "/r/cold", proc)
    finally:
        stack.stop_process_group(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="starts per case (median printed)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="chat-bench-cold-"))
    app_port, floor_port = servers.free_port(), servers.free_port()
    figures: dict[str, list[float]] = {}
    try:
        for case, built in (("build", False), ("built", True)):
            for _ in range(args.runs):
                ours = app_start(app_port, data, force_build=not built)
                floor = floor_start(floor_port, data, built)
                figures.setdefault(f"app {case}", []).append(ours)
                figures.setdefault(f"floor {case}", []).append(floor)
                print(f"  {case}: «Чат» {ours:.1f} s, floor {floor:.1f} s", flush=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    stack.section("cold start to the first served page (median)")
    for case in ("build", "built"):
        ours, floor = statistics.median(figures[f"app {case}"]), statistics.median(figures[f"floor {case}"])
        label = "frontend built on start" if case == "build" else "frontend already built"
        print(f"  {label:26} «Чат» {ours:5.1f} s   floor {floor:5.1f} s   ratio {ours / floor:.1f}×")


if __name__ == "__main__":
    main()

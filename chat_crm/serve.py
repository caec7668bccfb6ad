"""Serve the app in production mode on one port, rebuilding the frontend only when needed.

``reflex run --env prod`` compiles the pages and runs a production frontend build on
every start (about 20 s here), even when nothing changed. This launcher fingerprints
what the build depends on (the app's sources, assets, Reflex's version, the public URL
and the port, which are baked into the bundle) and, when the last build matches, starts
the server straight away on the compiled frontend.

    python -m chat_crm.serve --port 3000
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from importlib.metadata import version
from pathlib import Path

from chat_crm.config import PROJECT_ROOT, get_settings

SOURCES = ("chat_crm", "assets", "rxconfig.py", "reflex.lock", "pyproject.toml")


def build_fingerprint(port: int) -> str:
    """Everything the compiled frontend depends on, as one hash."""
    digest = hashlib.sha256()
    digest.update(f"reflex {version('reflex')} port {port} url {get_settings().base_url}".encode())
    for name in SOURCES:
        root = PROJECT_ROOT / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _web_dir() -> Path:
    """Reflex's frontend folder: ``.web``, or REFLEX_WEB_WORKDIR (one per process of a scale-out)."""
    from reflex.utils.prerequisites import get_web_dir

    web = get_web_dir()
    return web if web.is_absolute() else PROJECT_ROOT / web


def _skip_frontend_build() -> None:
    """Make Reflex's prod run reuse the compiled frontend instead of rebuilding it."""
    from reflex import reflex as cli
    from reflex.utils import build

    cli._compile_app = lambda **_kwargs: None  # type: ignore[assignment]
    build.setup_frontend_prod = lambda _root: None  # type: ignore[assignment]


def _stamp_after_build(stamp: Path, fingerprint: str) -> None:
    """Write the fingerprint once Reflex's own build has succeeded."""
    from reflex.utils import build

    original = build.setup_frontend_prod

    def setup_and_stamp(root: Path) -> None:
        original(root)
        stamp.write_text(fingerprint)

    build.setup_frontend_prod = setup_and_stamp  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    fingerprint = build_fingerprint(args.port)
    web = _web_dir()
    stamp, built_page = web / "chat_crm_build.stamp", web / "build" / "client" / "index.html"
    if built_page.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        _skip_frontend_build()
    else:
        stamp.unlink(missing_ok=True)
        _stamp_after_build(stamp, fingerprint)
    from reflex.reflex import cli

    from chat_crm.api.tokens import demo_token_line

    if line := demo_token_line():  # the mobile API's sample token (README: «API мобильного приложения»)
        print(line, flush=True)
    sys.argv = ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", str(args.port)]
    cli()


if __name__ == "__main__":
    main()

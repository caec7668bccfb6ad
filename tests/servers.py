"""Real servers for the tests, each on a free loopback port in a temporary folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _pg_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian keeps them per version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run .ci/run, it installs it")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway cluster. PostgreSQL refuses to run as root, so it runs as 'postgres'."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError("PostgreSQL 15 is not installed: run .ci/run, it installs it")
    # pytest's own temp folders are private to root; postgres needs to reach its own.
    tmp = Path(tempfile.mkdtemp(prefix="chat-crm-pg-"))
    tmp.chmod(0o755)
    port = free_port()
    data = tmp / "pgdata"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(tmp, ignore_errors=True)


class RestartableRedis:
    """A redis-server on a fixed port with an append-only file, which a test may restart.

    Run as production should run it (README, "Scale-out"): ``--appendonly yes``, so the
    Reflex states it holds survive a restart, and the keyspace notifications Reflex's
    locks wait on configured at start, not only by the app's CONFIG SET.
    """

    def __init__(self, tmp: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run .ci/run, it installs it")
        self.binary, self.dir, self.port = binary, tmp, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--notify-keyspace-events",
                "K$sgxe",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        """SIGTERM: redis writes the append-only file out and exits, as on a service restart."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1


@contextmanager
def restartable_redis_server(tmp: Path) -> Iterator[RestartableRedis]:
    server = RestartableRedis(tmp)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- staff alerts (issue 11): a real SMTP server and a loopback Web Push service ----------


class SmtpServer:
    """A real aiosmtpd on loopback that keeps every mail it accepts; ``stop()`` is an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list = []  # email.message.EmailMessage, in arrival order
        self._controller = None

    def start(self) -> None:
        import email
        import email.policy

        from aiosmtpd.controller import Controller

        server = self

        class Keep:
            async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd's name
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                server.messages.append(parsed)
                return "250 OK"

        self._controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _b64url_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A loopback Web Push service: checks the VAPID JWT against ``vapid_key`` (the app's
    public key, base64url), decrypts the aes128gcm payload with the subscription's own key
    and auth secret (http_ece), and answers the status the test queued (201 by default).

    ``subscription()`` makes a browser-like subscription (a fresh P-256 pair and auth
    secret) on this service; ``received`` holds the decrypted JSON payloads.
    """

    def __init__(self, vapid_key: str = "") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.vapid_key = vapid_key
        self.statuses: dict[str, list[int]] = {}  # path → statuses to answer, in turn
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.hits: list[tuple[str, int]] = []
        self._keys: dict[str, tuple[object, bytes]] = {}
        self._server = None

    def subscription(self, name: str) -> dict:
        import base64
        import secrets as _secrets

        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = _secrets.token_bytes(16)
        self._keys[f"/push/{name}"] = (private, auth)

        def enc(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {"endpoint": f"{self.url}/push/{name}", "keys": {"p256dh": enc(public), "auth": enc(auth)}}

    def answer(self, name: str, *statuses: int) -> None:
        self.statuses.setdefault(f"/push/{name}", []).extend(statuses)

    def check_vapid(self, header: str) -> str:
        """'' if the Authorization header is a valid VAPID signature by ``vapid_key``."""
        import json as _json
        import time as _time

        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        if not header.lower().startswith("vapid "):
            return "no vapid scheme"
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        token, key = parts.get("t", ""), parts.get("k", "")
        if self.vapid_key and key != self.vapid_key:
            return "another key"
        head, claims, sig = token.split(".")
        raw_sig = _b64url_decode(sig)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64url_decode(key))
        der = encode_dss_signature(int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big"))
        try:
            public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad signature"
        body = _json.loads(_b64url_decode(claims))
        if body.get("aud") != self.url or int(body.get("exp", 0)) < _time.time() or not body.get("sub"):
            return f"bad claims {body}"
        return ""

    def start(self) -> None:
        import http.server
        import json as _json
        import threading

        import http_ece

        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                queued = service.statuses.get(self.path)
                status = queued.pop(0) if queued else 201
                service.hits.append((self.path, status))
                problem = service.check_vapid(self.headers.get("Authorization", ""))
                if not problem and not self.headers.get("TTL"):
                    problem = "no TTL"
                if problem:
                    service.refused.append(problem)
                    status = 403
                elif status == 201:
                    private, auth = service._keys[self.path]
                    plain = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
                    service.received.append({"path": self.path, **_json.loads(plain)})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def push_service(vapid_key: str = "") -> Iterator[PushService]:
    service = PushService(vapid_key)
    service.start()
    try:
        yield service
    finally:
        service.stop()

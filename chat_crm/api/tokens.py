"""Client tokens of the mobile API (P15): HS256 JWTs, ``sub`` = the client's id, ``exp`` required.

In production the partner's backend signs them with the shared secret (API_JWT_SECRET) after
its own sign-in; this app only verifies. Without a configured secret one is made on first
start and kept in the data folder (mode 0600), so every worker and restart agrees on it.
Expiry is checked against ``models.base.utcnow`` (the app's one clock), not the wall clock.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import datetime, timedelta
from pathlib import Path

import jwt

from chat_crm.config import get_settings
from chat_crm.models import utcnow

ALGORITHM = "HS256"
SECRET_FILE = "api_jwt_secret"
_lock = threading.Lock()
_cache: dict[str, str] = {}


class TokenRefused(Exception):
    """The token is missing, malformed, foreign or expired: ``code`` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _secret_file(folder: Path) -> str:
    path = folder / SECRET_FILE
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two workers starting at once make one secret, the loser reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def secret() -> str:
    settings = get_settings()
    if settings.api_jwt_secret:
        return settings.api_jwt_secret
    key = str(settings.data_dir)
    with _lock:
        if key not in _cache:
            _cache[key] = _secret_file(settings.data_dir)
        return _cache[key]


def issue(client_id: int, *, hours: float | None = None, now: datetime | None = None) -> str:
    """A token for ``client_id`` (anonymous visitors, the demo, tests; production signs its own)."""
    now = now or utcnow()
    life = timedelta(hours=get_settings().api_token_hours if hours is None else hours)
    claims = {"sub": str(client_id), "iat": int(now.timestamp()), "exp": int((now + life).timestamp())}
    return jwt.encode(claims, secret(), algorithm=ALGORITHM)


def verify(token: str) -> int:
    """The client id a valid token names; ``TokenRefused`` otherwise."""
    if not token:
        raise TokenRefused("unauthorized")
    try:
        claims = jwt.decode(
            token,
            secret(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError as err:
        raise TokenRefused("token_invalid") from err
    exp, sub = claims.get("exp"), claims.get("sub")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise TokenRefused("token_invalid")
    if exp <= utcnow().timestamp():
        raise TokenRefused("token_expired")
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 19):
        raise TokenRefused("token_invalid")
    client_id = int(sub)
    if not 0 < client_id <= 2**63 - 1:
        raise TokenRefused("token_invalid")
    return client_id


DEMO_CLIENT = "Иванов Иван Иванович"


def demo_token_line() -> str:
    """The sample token the demo prints at start (README: the curl session), or "" without the demo."""
    from chat_crm.services.client_app import client_id_by_name
    from chat_crm.texts import t

    try:
        client_id = client_id_by_name(DEMO_CLIENT)
    except Exception:  # no database yet (first start before the migrations): nothing to print
        return ""
    if client_id is None:
        return ""
    hours = get_settings().api_token_hours
    return t(
        "api.demo_token", name=DEMO_CLIENT, id=client_id, hours=hours, token=issue(client_id, hours=hours)
    )

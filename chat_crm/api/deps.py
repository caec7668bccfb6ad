"""Who calls: the bearer token, checked on every request, and the per-token rate limit."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chat_crm.api import tokens
from chat_crm.api.errors import ApiError
from chat_crm.config import get_settings
from chat_crm.services import messages
from chat_crm.texts import t

bearer = HTTPBearer(auto_error=False, description="JWT HS256: sub = id клиента, exp обязателен")

_TOKEN_TEXT = {
    "unauthorized": "api.error.no_token",
    "token_invalid": "api.error.bad_token",
    "token_expired": "api.error.expired_token",
}


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds per key, in this process.

    A sliding window of request times; the answer past the limit says when the oldest
    one leaves the window (``Retry-After``). Message sends are also limited in the
    database by ``messages.rules.check_rate``, which holds across workers.
    """

    def __init__(self) -> None:
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: int, limit: int, window: float, now: float | None = None) -> int:
        """0 if allowed, else the seconds to wait."""
        if limit <= 0:
            return 0
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return max(1, math.ceil(times[0] + window - now))
            times.append(now)
            if len(self._seen) > 100_000:  # forget idle keys rather than grow without bound
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - window}
            return 0


limiter = RateLimiter()


@dataclass(frozen=True)
class Caller:
    client_id: int


def token_client(credentials: HTTPAuthorizationCredentials | None) -> int:
    """The client id of a valid token, or a 401 ``ApiError``."""
    raw = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else ""
    try:
        return tokens.verify(raw)
    except tokens.TokenRefused as refused:
        raise ApiError(401, refused.code, t(_TOKEN_TEXT[refused.code])) from refused


def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """Every route but the visitor issuer: a valid token of an existing client, within its rate."""
    client_id = token_client(credentials)
    settings = get_settings()
    wait = limiter.hit(client_id, settings.api_rate_limit, settings.api_rate_window_seconds)
    if wait:
        raise ApiError(429, "rate_limited", t("api.error.rate_limited", seconds=wait), retry_after=wait)
    messages.client_chat_id(client_id=client_id)  # a token of a client that is gone: 401
    return Caller(client_id)


Who = Annotated[Caller, Depends(caller)]

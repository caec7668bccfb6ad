"""Client tokens: the secret made once with mode 0600, and every way a token is refused (P15)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import jwt
import pytest

from chat_crm import config
from chat_crm.api import tokens
from chat_crm.api.deps import RateLimiter

pytestmark = pytest.mark.feature("P15")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("API_JWT_SECRET", raising=False)
    config.reload_settings()
    yield tmp_path
    config.reload_settings()


def test_without_a_configured_secret_one_is_made_once_and_kept_private(data_dir: Path) -> None:
    token = tokens.issue(42)
    path = data_dir / tokens.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tokens._secret_file(data_dir) == path.read_text().strip()  # a second worker reads the same
    assert tokens.verify(token) == 42


@pytest.mark.parametrize(
    ("claims", "secret", "code"),
    [
        ({"sub": "42", "exp": -1}, None, "token_expired"),
        ({"sub": "42"}, None, "token_invalid"),  # no expiry: refused, a token must end
        ({"exp": 60}, None, "token_invalid"),
        ({"sub": "abc", "exp": 60}, None, "token_invalid"),
        ({"sub": "0", "exp": 60}, None, "token_invalid"),
        ({"sub": str(2**63), "exp": 60}, None, "token_invalid"),
        ({"sub": "42", "exp": 60}, "someone-else's-secret-0123456789abcdef", "token_invalid"),
    ],
)
def test_a_bad_token_is_refused_with_its_code(
    data_dir: Path, claims: dict, secret: str | None, code: str
) -> None:
    if "exp" in claims:  # seconds from now: the cases are collected long before they run
        claims = {**claims, "exp": time.time() + claims["exp"]}
    token = jwt.encode(claims, secret or tokens.secret(), algorithm="HS256")
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.verify(token)
    assert refused.value.code == code


def test_a_token_signed_with_none_is_refused(data_dir: Path) -> None:
    unsigned = jwt.encode({"sub": "42", "exp": time.time() + 60}, key=None, algorithm="none")
    with pytest.raises(tokens.TokenRefused):
        tokens.verify(unsigned)


def test_the_rate_limiter_says_how_long_to_wait() -> None:
    limiter = RateLimiter()
    assert [limiter.hit(7, 3, 60, now=100 + n) for n in range(3)] == [0, 0, 0]
    assert limiter.hit(7, 3, 60, now=110) == 50  # the first request leaves the window at 160
    assert limiter.hit(8, 3, 60, now=110) == 0  # another token has its own count
    assert limiter.hit(7, 3, 60, now=161) == 0

"""Security headers on every HTTP answer: pages, the compiled frontend's assets, API routes, files.

An ASGI wrapper, the last of ``rx.App(api_transformer=...)``: Reflex mounts the compiled
frontend (``chat_crm.serve``: prod, single port) inside the app the transformers wrap, so
the HTML pages get these headers as the routes do. A header a route set itself (the
stricter CSP of ``/files/…``) is kept.

What the CSP allows is what Reflex 0.10.1 needs, and no more:
- ``script-src 'unsafe-inline'``: React Router's hydration data and the bootstrap are inline
  ``<script>``s in every compiled page; ``'unsafe-eval'``: Reflex runs ``rx.call_script``
  (dictation, the composer's helpers) through ``eval``;
- ``style-src 'unsafe-inline'``: Emotion and Radix write ``<style>`` and ``style=`` at runtime;
- ``connect-src``: the websocket (``/_event``) and uploads go to the app's own origin;
- ``img-src data: blob:``: previews of a picked file and inline icons.
No other origin is allowed anywhere, and no page may be framed (clickjacking).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat_crm.config import get_settings


def content_security_policy(base_url: str) -> str:
    parts = urlsplit(base_url)
    ws = "wss" if parts.scheme == "https" else "ws"
    origin = f"{parts.scheme}://{parts.netloc}"
    directives = {
        "default-src": "'self'",
        "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "media-src": "'self' blob:",
        "connect-src": f"'self' {origin} {ws}://{parts.netloc}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(base_url: str) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy(base_url).encode()),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if base_url.startswith("https://"):
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


class SecurityHeaders:
    """Add the headers to every HTTP response start that does not carry them already."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers(get_settings().base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)

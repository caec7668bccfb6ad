"""The FastAPI app of ``/api/v1`` (P15), handed to ``rx.App(api_transformer=...)``.

Reflex mounts itself inside it: a path the API does not serve goes on to Reflex.
"""

from __future__ import annotations

import html
import re
from typing import Annotated

from fastapi import FastAPI, Header, Query
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from chat_crm.api import routes_bot, routes_chat, stream
from chat_crm.api.deps import Who
from chat_crm.api.errors import ERROR_RESPONSES, ApiError, install, respond
from chat_crm.routes import MULTIPART_SLACK
from chat_crm.services import attachments
from chat_crm.texts import t

OPENAPI_URL = "/api/v1/openapi.json"
UPLOAD_PATH = "/api/v1/chat/files"
_EVENT_ID = re.compile(r"[0-9]{1,19}")

api_app = FastAPI(
    title=t("api.title"),
    version="1.0.0",
    description=t("api.docs.intro", schema=OPENAPI_URL),
    openapi_url=OPENAPI_URL,
    docs_url=None,
    redoc_url=None,
)
install(api_app)
api_app.include_router(routes_chat.router)
api_app.include_router(routes_bot.router)


def _event_id(header: str | None, query: str | None) -> int | None:
    raw = (header or query or "").strip()
    if not raw:
        return None
    if not _EVENT_ID.fullmatch(raw) or int(raw) > 2**63 - 1:
        raise ApiError(422, "invalid_request", t("api.error.invalid", where="Last-Event-ID"), "Last-Event-ID")
    return int(raw)


@api_app.get(
    "/api/v1/chat/events",
    operation_id="chat_events",
    tags=["chat"],
    summary="Поток событий чата (SSE) с продолжением по Last-Event-ID",
    response_class=StreamingResponse,
    responses={
        **ERROR_RESPONSES,
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "SSE"},
    },
)
async def chat_events(
    who: Who,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=19)] = None,
    after: Annotated[str | None, Query(max_length=19, description="Как Last-Event-ID")] = None,
    timeout: Annotated[int, Query(ge=1, le=3600, description="Через сколько секунд закрыть поток")] = 600,
) -> StreamingResponse:
    after_id = _event_id(last_event_id, after)
    return StreamingResponse(
        stream.events(who.client_id, after_id, float(timeout)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@api_app.get("/api/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """The contract as a page: no script, nothing from another origin (the CSP allows neither)."""
    schema = api_app.openapi()
    rows = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            rows.append(
                f"<tr><td><code>{html.escape(method.upper())}</code></td><td><code>{html.escape(path)}</code>"
                f"</td><td>{html.escape(op.get('summary', ''))}</td></tr>"
            )
    page = (
        f"<!doctype html><html lang=ru><meta charset=utf-8><title>{html.escape(schema['info']['title'])}"
        f"</title><body style='font-family:sans-serif;max-width:960px;margin:2em auto'>"
        f"<h1>{html.escape(schema['info']['title'])}</h1><p>{html.escape(schema['info']['description'])}</p>"
        f"<p><a href='{OPENAPI_URL}'>{OPENAPI_URL}</a></p><table>{''.join(rows)}</table></body></html>"
    )
    return HTMLResponse(
        page, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    )


class ApiUploadLimit:
    """A body far past the file limit is refused before anything parses it (like ``UploadSizeLimit``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == UPLOAD_PATH and scope.get("method") == "POST":
            raw = dict(scope["headers"]).get(b"content-length", b"")
            if raw.isdigit() and int(raw) > attachments.max_upload_bytes() + MULTIPART_SLACK:
                err = ApiError(413, "file_too_large", attachments.too_big_message(), "file")
                await respond(err)(scope, receive, send)
                return
        await self.app(scope, receive, send)


api_app.add_middleware(ApiUploadLimit)

"""HTTP beside Reflex's websocket: attachment downloads, image thumbnails (P7) and the upload size guard (M2).

Both are ASGI pieces handed to ``rx.App(api_transformer=...)``.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from chat_crm.services import attachments, auth
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

EMPLOYEE_COOKIE = "chat_crm_session"
CLIENT_COOKIE = "chat_crm_app"
# Multipart framing around the file: boundaries, part headers, the file name.
MULTIPART_SLACK = 64 * 1024
_ID = re.compile(r"[0-9]{1,19}")


def file_url(attachment_id: int) -> str:
    return f"/files/{attachment_id}"


def thumb_url(attachment_id: int) -> str:
    return f"/files/{attachment_id}/thumb"


def _find_file(request: Request, attachment_id: int, thumb: bool) -> attachments.StoredFile | None:
    """The file (or its thumbnail), if the request's own cookie belongs to someone who may see it."""
    identity = auth.resolve_employee(request.cookies.get(EMPLOYEE_COOKIE, ""))
    if identity is not None:
        try:
            return attachments.file_for_employee(
                employee_id=identity.employee_id, attachment_id=attachment_id, thumb=thumb
            )
        except ServiceError:
            pass
    client_id = auth.resolve_client(request.cookies.get(CLIENT_COOKIE, ""))
    if client_id is not None:
        try:
            return attachments.file_for_client(client_id=client_id, attachment_id=attachment_id, thumb=thumb)
        except ServiceError:
            pass
    return None


async def download(request: Request) -> Response:
    return await _serve(request, thumb=False)


async def download_thumb(request: Request) -> Response:
    """The small JPEG made at upload; the original for a file that has none."""
    return await _serve(request, thumb=True)


def parse_id(raw: str) -> int | None:
    """A row id from a URL: ASCII digits only (not «²» or «١»), in a signed 64-bit range; else None."""
    if not _ID.fullmatch(raw):
        return None
    value = int(raw)
    return value if 0 < value <= attachments.MAX_ID else None


async def _serve(request: Request, thumb: bool) -> Response:
    attachment_id = parse_id(request.path_params["attachment_id"])
    # The access check reads the database: off the event loop, so other screens go on.
    found = await asyncio.to_thread(_find_file, request, attachment_id, thumb) if attachment_id else None
    if found is None:
        # The same answer for "no such file" and "not yours": nothing to probe.
        return Response(t("error.not_found"), status_code=404, media_type="text/plain; charset=utf-8")
    return attachment_response(found)


def attachment_response(found: attachments.StoredFile) -> FileResponse:
    """A chat file as every route serves it (here and the mobile API's ``/files``): inline only
    for an image, never cached by others, and inert even if a browser would render it."""
    disposition = "inline" if found.is_image else "attachment"
    return FileResponse(
        found.path,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            # Even a file a browser would render cannot run script in our origin.
            "Content-Security-Policy": (
                "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
            ),
        },
    )


files_app = Starlette(
    routes=[
        Route("/files/{attachment_id}", download, methods=["GET"]),
        Route("/files/{attachment_id}/thumb", download_thumb, methods=["GET"]),
    ]
)


class UploadSizeLimit:
    """Refuse an upload whose body is bigger than the limit before anything parses it.

    Starlette would otherwise spool the whole multipart body to disk first.
    The service counts the file's own bytes again while storing it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/_upload"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw = headers.get(b"content-length", b"")
        limit = attachments.max_upload_bytes() + MULTIPART_SLACK
        if not raw.isdigit() or int(raw) > limit:
            status = 411 if not raw.isdigit() else 413
            await JSONResponse({"detail": attachments.too_big_message()}, status_code=status)(
                scope, receive, send
            )
            return
        await self.app(scope, self._counting(receive, int(raw)), send)

    @staticmethod
    def _counting(receive: Receive, declared: int) -> Receive:
        """A body longer than its Content-Length is cut off, whatever the server does."""
        seen = 0

        async def counted() -> dict:  # type: ignore[type-arg]
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > declared:
                    return {"type": "http.disconnect"}
            return message

        return counted

"""GET /exports/<token>: the employee's own «Экспорт» file (L5), checked on every download."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from chat_crm.services import auth, export
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

EMPLOYEE_COOKIE = "chat_crm_session"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _find(request: Request, token: str) -> export.Download | None:
    identity = auth.resolve_employee(request.cookies.get(EMPLOYEE_COOKIE, ""))
    if identity is None:
        return None
    try:
        return export.file_for(employee_id=identity.employee_id, token=token)
    except ServiceError:
        return None


async def download_export(request: Request) -> Response:
    found = await asyncio.to_thread(_find, request, request.path_params["token"])
    if found is None:  # the same answer for "no such file", "not yours" and "no right"
        return Response(t("error.not_found"), status_code=404, media_type="text/plain; charset=utf-8")
    return FileResponse(
        found.path,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


export_app = Starlette(routes=[Route("/exports/{token}", download_export, methods=["GET"])])

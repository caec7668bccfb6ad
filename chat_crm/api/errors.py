"""Every error of the API is JSON ``{"code", "message", "field"}``: a stable code, a Russian message.

Services raise ``ServiceError`` with a Russian message (the screens show the same text); here it
gets its HTTP status and a code, by the error's class first, then by which catalog text it is.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from chat_crm.db import DatabaseBusy
from chat_crm.services.errors import Forbidden, NotFound, ServiceError, Unauthenticated
from chat_crm.texts import RU, t

log = logging.getLogger(__name__)


class ErrorOut(BaseModel):
    """An error: ``code`` is stable (for the app's logic), ``message`` is for the user, in Russian."""

    code: str
    message: str
    field: str = ""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str = "", retry_after: int = 0) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after


# Catalog key → (HTTP status, code). A key's {placeholders} match any value.
_BY_TEXT: dict[str, tuple[int, str]] = {
    "error.chat_hidden": (403, "chat_hidden"),
    "error.too_many_messages": (429, "rate_limited"),
    "error.upload_quota": (429, "upload_quota"),
    "error.upload_busy": (503, "upload_busy"),
    "error.file_too_big": (413, "file_too_large"),
    "error.file_empty": (422, "file_empty"),
    "error.file_type": (415, "file_type"),
    "error.file_type_mismatch": (415, "file_type_mismatch"),
    "error.archive_bomb": (415, "file_type"),
    "error.image_broken": (415, "image_broken"),
    "error.image_too_large": (413, "image_too_large"),
    "error.file_gone": (409, "file_gone"),
    "error.message_deleted": (409, "message_deleted"),
    "error.message_read": (409, "message_read"),
    "error.message_too_old": (409, "message_too_old"),
    "error.bot_step_passed": (409, "bot_step_passed"),
    "error.topic_unavailable": (422, "topic_unavailable"),
    "error.empty_message": (422, "empty_message"),
    "error.message_too_long": (422, "message_too_long"),
    "error.bad_message_key": (422, "bad_message_key"),
    "error.link_unavailable": (404, "not_found"),
    "error.not_found": (404, "not_found"),
}
_PATTERNS = [
    (re.compile("".join(".*" if i % 2 else re.escape(p) for i, p in enumerate(re.split(r"{\w+}", RU[k])))), v)
    for k, v in _BY_TEXT.items()
]
# The codes a route may answer, for the OpenAPI document (all with ``ErrorOut``).
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut, "description": "Ошибка: code и message"} for status in ERROR_STATUSES
}


def from_service(err: ServiceError) -> ApiError:
    if isinstance(err, NotFound):
        return ApiError(404, "not_found", err.message, err.field)
    if isinstance(err, Unauthenticated):
        return ApiError(401, "unauthorized", t("api.error.bad_token"))
    if isinstance(err, Forbidden):
        return ApiError(403, "forbidden", err.message, err.field)
    if isinstance(err, DatabaseBusy):
        return ApiError(503, "db_busy", err.message, retry_after=1)
    for pattern, (status, code) in _PATTERNS:
        if pattern.fullmatch(err.message):
            retry = 10 if status == 429 else 0
            return ApiError(status, code, err.message, err.field, retry_after=retry)
    return ApiError(422, "rejected", err.message, err.field)


def respond(err: ApiError) -> JSONResponse:
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after else None
    if err.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="chat_crm"'}
    body = ErrorOut(code=err.code, message=err.message, field=err.field).model_dump()
    return JSONResponse(body, status_code=err.status, headers=headers)


def _where(errors: list[dict]) -> str:  # type: ignore[type-arg]
    first = errors[0] if errors else {}
    return ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")) or "?"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> JSONResponse:
        return respond(err)

    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, err: ServiceError) -> JSONResponse:
        return respond(from_service(err))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        where = _where(list(err.errors()))
        return respond(ApiError(422, "invalid_request", t("api.error.invalid", where=where), where))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        if err.status_code == 405:
            return respond(ApiError(405, "method_not_allowed", t("api.error.method")))
        if err.status_code == 400:  # a body that is not JSON at all
            return respond(ApiError(400, "invalid_request", t("api.error.invalid", where="body"), "body"))
        if err.status_code == 404:
            return respond(ApiError(404, "not_found", t("api.error.route")))
        return respond(
            ApiError(err.status_code, f"http_{err.status_code}", t("api.error.invalid", where="?"))
        )

    @app.exception_handler(Exception)
    async def crash(_request: Request, err: Exception) -> JSONResponse:
        log.exception("api: unhandled error", exc_info=err)
        return respond(ApiError(500, "internal", t("api.error.internal")))

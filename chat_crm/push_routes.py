"""Web Push HTTP routes: the public VAPID key, subscribe and unsubscribe (N1, N3).

The subscriber is whoever the request's own session cookie names: the employee's
(``as: "employee"``, the CRM) or the client's (``as: "client"``, the phone page). Both
cookies are SameSite=Strict and requests another site starts are refused, so a foreign page
cannot subscribe its own endpoint to someone's alerts. Refusals are JSON with a Russian
``error`` (and the ``field`` it concerns).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chat_crm.routes import CLIENT_COOKIE, EMPLOYEE_COOKIE
from chat_crm.services import auth, webpush
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

MAX_BODY = 8 * 1024
NO_STORE = {"Cache-Control": "no-store"}


def _refuse(message: str, status: int, field: str = "") -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, "field": field}, status_code=status, headers=NO_STORE)


def _principal(request: Request, who: str) -> tuple[int | None, int | None]:
    """(employee_id, client_id) of the cookie the caller names; (None, None) without one."""
    if who == "client":
        return None, auth.resolve_client(request.cookies.get(CLIENT_COOKIE, ""))
    identity = auth.resolve_employee(request.cookies.get(EMPLOYEE_COOKIE, ""))
    return (identity.employee_id if identity else None), None


async def _json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("sec-fetch-site", "") in {"cross-site", "same-site"}:
        raise ServiceError(t("error.forbidden"))
    if "application/json" not in request.headers.get("content-type", ""):
        raise ServiceError(t("push.bad_subscription"), field="subscription")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ServiceError(t("push.bad_subscription"), field="subscription")
    try:
        data = json.loads(raw or b"{}")
    except ValueError as err:
        raise ServiceError(t("push.bad_subscription"), field="subscription") from err
    if not isinstance(data, dict):
        raise ServiceError(t("push.bad_subscription"), field="subscription")
    return data


async def _authorised(request: Request) -> tuple[dict[str, Any], int | None, int | None] | JSONResponse:
    try:
        data = await _json_body(request)
    except ServiceError as err:
        return _refuse(err.message, 400, err.field)
    employee_id, client_id = await asyncio.to_thread(_principal, request, str(data.get("as", "employee")))
    if employee_id is None and client_id is None:
        return _refuse(t("error.session_expired"), 401)
    return data, employee_id, client_id


async def key(_request: Request) -> Response:
    public = await asyncio.to_thread(webpush.public_key)
    return JSONResponse({"publicKey": public}, headers={"Cache-Control": "public, max-age=300"})


async def subscribe(request: Request) -> Response:
    found = await _authorised(request)
    if isinstance(found, JSONResponse):
        return found
    data, employee_id, client_id = found
    try:
        sub = webpush.parse_subscription(data.get("subscription", data))
    except ServiceError as err:
        return _refuse(err.message, 400, err.field)
    await asyncio.to_thread(webpush.subscribe, sub, employee_id=employee_id, client_id=client_id)
    return JSONResponse({"ok": True}, headers=NO_STORE)


async def unsubscribe(request: Request) -> Response:
    found = await _authorised(request)
    if isinstance(found, JSONResponse):
        return found
    data, employee_id, client_id = found
    sub = data.get("subscription")
    endpoint = data.get("endpoint") or (sub.get("endpoint") if isinstance(sub, dict) else "")
    if not isinstance(endpoint, str) or not endpoint:
        return _refuse(t("push.bad_subscription"), 400, "endpoint")
    removed = await asyncio.to_thread(
        webpush.unsubscribe, endpoint, employee_id=employee_id, client_id=client_id
    )
    if not removed:
        return _refuse(t("push.not_found"), 404, "endpoint")
    return JSONResponse({"ok": True}, headers=NO_STORE)


push_app = Starlette(
    routes=[
        Route("/push/key", key, methods=["GET"]),
        Route("/push/subscribe", subscribe, methods=["POST"]),
        Route("/push/unsubscribe", unsubscribe, methods=["POST"]),
    ]
)

"""The HTTP routes that set and clear the session cookies (issue 9: sessions).

A login (or the client app's «Открыть приложение») is checked in its event and gives
a one-time ticket; the page then loads ``/auth/session?ticket=…``, which opens the
session and sets its token as an HttpOnly, SameSite=Strict cookie (Secure over HTTPS).
Scripts never see the token, and it never travels over the websocket.
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chat_crm.config import get_settings
from chat_crm.routes import CLIENT_COOKIE, EMPLOYEE_COOKIE
from chat_crm.services import auth

LOGIN_PAGE = "/login"
STAFF_HOME = "/support/chats"
CLIENT_HOME = "/app"


def _local_path(raw: str, default: str) -> str:
    """Only a path of this site: no scheme, no host, no ``//evil`` or ``/\\evil``."""
    if raw.startswith("/") and not raw.startswith(("//", "/\\")) and "\\" not in raw and raw.isprintable():
        return raw
    return default


def _cross_site(request: Request) -> bool:
    """A navigation another site started: it may neither log someone in nor out."""
    return request.headers.get("sec-fetch-site", "") in {"cross-site", "same-site"}


def set_session_cookie(response: Response, name: str, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        name,
        token,
        max_age=settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, name: str) -> None:
    settings = get_settings()
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies)


async def open_session(request: Request) -> Response:
    ticket = request.query_params.get("ticket", "")
    redeemed = None if _cross_site(request) else await asyncio.to_thread(auth.redeem_ticket, ticket)
    if redeemed is None:
        return RedirectResponse(LOGIN_PAGE, status_code=303)
    token, is_employee = redeemed
    home = STAFF_HOME if is_employee else CLIENT_HOME
    response = RedirectResponse(_local_path(request.query_params.get("next", ""), home), status_code=303)
    set_session_cookie(response, EMPLOYEE_COOKIE if is_employee else CLIENT_COOKIE, token)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the ticket stays out of Referer
    return response


async def close_session(request: Request) -> Response:
    """«Выйти»: the session ends in the database, and the cookie goes."""
    if _cross_site(request):
        return RedirectResponse(STAFF_HOME, status_code=303)
    token = request.cookies.get(EMPLOYEE_COOKIE, "")
    if token:
        await asyncio.to_thread(auth.logout, token)
    # "/" forwards to the login page in the browser (a full load of /login would end as /login/).
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, EMPLOYEE_COOKIE)
    response.headers["Cache-Control"] = "no-store"
    return response


session_app = Starlette(
    routes=[
        Route("/auth/session", open_session, methods=["GET"]),
        Route("/auth/logout", close_session, methods=["GET", "POST"]),
    ]
)

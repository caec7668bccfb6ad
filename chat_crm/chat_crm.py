"""The «Чат» app: CRM pages, the simulated client app, and the live listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import reflex as rx

from chat_crm import edge, live, logging_setup
from chat_crm.api import api_app
from chat_crm.config import get_settings
from chat_crm.export_route import export_app
from chat_crm.http_headers import SecurityHeaders
from chat_crm.pages.client.app import client_app_page
from chat_crm.pages.crm.admin import support_settings_page
from chat_crm.pages.crm.chat_card import chat_card_page
from chat_crm.pages.crm.chat_list import chat_list_page
from chat_crm.pages.crm.employees import employees_page
from chat_crm.pages.crm.login import login_page
from chat_crm.pages.crm.reports import reports_page
from chat_crm.pages.crm.roles import roles_page
from chat_crm.push_routes import push_app
from chat_crm.routes import UploadSizeLimit, files_app
from chat_crm.services import attachments, bot, reminders
from chat_crm.session_routes import session_app
from chat_crm.states.admin import SupportSettingsState
from chat_crm.states.bot_settings import BotSettingsState
from chat_crm.states.canned_replies import CannedPickerState, CannedRepliesState
from chat_crm.states.chat_card import ChatCardState
from chat_crm.states.chat_list import ChatListState
from chat_crm.states.chat_manage import ChatManageState
from chat_crm.states.client_app import ClientAppState
from chat_crm.states.employees import EmployeesState
from chat_crm.states.reports import ReportsState
from chat_crm.states.roles import RolesState
from chat_crm.states.routing import RoutingSettingsState
from chat_crm.states.session import LoginState

log = logging.getLogger(__name__)


def index() -> rx.Component:
    return rx.fragment()


# Downloads check who asks; oversized uploads are refused before Starlette parses them.
# The session routes set and clear the HttpOnly cookies; every event passes the edge first,
# and an error reaches the user as a Russian toast (chat_crm.edge).
logging_setup.install()
app = rx.App(
    # SecurityHeaders last: it wraps everything, the compiled pages included (chat_crm.http_headers).
    api_transformer=[
        files_app,
        export_app,
        UploadSizeLimit,
        session_app,
        push_app,
        api_app,  # the mobile app's API /api/v1 (P15): JSON errors, its own CSP for /api/docs
        edge.SocketTextGuard,
        SecurityHeaders,
    ],
    backend_exception_handler=edge.backend_exception_handler,
    frontend_exception_handler=edge.frontend_exception_handler,
)
app.add_middleware(edge.EventEdge())
app.add_page(index, route="/", on_load=rx.redirect("/support/chats"), title="Чат")
app.add_page(login_page, route="/login", on_load=LoginState.skip_if_logged_in, title="Вход — Чат")
app.add_page(chat_list_page, route="/support/chats", on_load=ChatListState.on_load, title="Чат — Поддержка")
app.add_page(
    chat_card_page,
    route="/support/chats/[chat_id]",
    # the conversation, then C2/C3, then the composer's «/» templates (P13)
    on_load=[ChatCardState.on_load, ChatManageState.on_load, CannedPickerState.on_load],
    title="Чат с клиентом",
)
app.add_page(
    support_settings_page,
    route="/support/settings",
    # Tab «Чат» first: it redirects a visitor without a session and shows the page-level error.
    on_load=[
        SupportSettingsState.on_load,
        BotSettingsState.on_load,
        CannedRepliesState.on_load,
        RoutingSettingsState.on_load,
    ],
    title="Настройки",
)
app.add_page(roles_page, route="/settings/roles", on_load=RolesState.on_load, title="Роли доступа")
app.add_page(employees_page, route="/settings/employees", on_load=EmployeesState.on_load, title="Сотрудники")
app.add_page(reports_page, route="/support/reports", on_load=ReportsState.on_load, title="Отчеты — Поддержка")
app.add_page(client_app_page, route="/app", on_load=ClientAppState.on_load, title="Приложение клиента")


async def live_listener(app: rx.App) -> None:
    await live.run_listener(app)


async def _repeat(job: Callable[[], object], interval: Callable[[], float], what: str) -> None:
    """Run ``job`` off the event loop, again and again; a failed round is logged and retried."""
    while True:
        try:
            await asyncio.to_thread(job)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database went away for a moment: try again next round
            log.exception("%s failed", what)
        await asyncio.sleep(interval())


async def inactivity_timer() -> None:
    """B9: close the dialogs whose client did not answer in time, overdue ones first thing."""
    await _repeat(bot.close_inactive, lambda: get_settings().timer_interval_seconds, "inactivity timer")


async def staged_upload_sweep() -> None:
    """Files picked but never sent expire (STAGED_UPLOAD_TTL_SECONDS): due rows are in the
    database, so a restart loses none, and every worker may sweep (each row goes once)."""
    await _repeat(
        attachments.sweep_staged, lambda: get_settings().staged_sweep_seconds, "staged upload sweep"
    )


async def outbox_delivery() -> None:
    """N1/N3: pushes and mails from the durable outbox; every worker runs it, each row goes once."""
    from chat_crm.services import outbox

    await _repeat(outbox.deliver_due, lambda: get_settings().outbox_interval_seconds, "outbox delivery")


async def client_reminders() -> None:
    """N5: the 24-hour reminders that came due, overdue ones first thing after a restart."""
    await _repeat(reminders.fire_due, lambda: get_settings().timer_interval_seconds, "client reminders")


async def silence_reassignment() -> None:
    """P12: chats whose responsible stayed silent past the department's N minutes move on."""
    from chat_crm.services import reassign

    await _repeat(reassign.fire_due, lambda: get_settings().timer_interval_seconds, "silence reassignment")


app.register_lifespan_task(live_listener)
app.register_lifespan_task(inactivity_timer)
app.register_lifespan_task(staged_upload_sweep)
app.register_lifespan_task(outbox_delivery)
app.register_lifespan_task(client_reminders)
app.register_lifespan_task(silence_reassignment)

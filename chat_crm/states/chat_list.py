"""«Поддержка» → «Чат»: the live list (L2–L7, P8, P9).

The view (filters, search, sort, page) lives in the URL and is parsed on the server
(``list_query.from_params``). The screen registers with ``live.registry`` as a list: an
event brings one changed row, read once for every list screen of the worker, and this
screen places it in memory (``live_rows.place``); it never re-reads its page for a message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from chat_crm import live
from chat_crm.realtime import ChatEvent, EventTopic
from chat_crm.services import export, inbox, live_rows
from chat_crm.services import list_query as lq
from chat_crm.services.errors import ServiceError, Unauthenticated
from chat_crm.services.inbox import ChatRow, FilterChoices, ListUpdate
from chat_crm.states.session import SessionState, off_loop
from chat_crm.texts import t

T = TypeVar("T")
ROUTE = "/support/chats"
# The URL names of ListView's fields (list_query.to_query).
_PARAM = {"search": "q", "scope": "view"}


class ChatListState(SessionState):
    # The view, one var per control; ``_view`` puts them together.
    tab: str = "all"
    search: str = ""
    topic: str = ""
    project: str = ""
    building: str = ""
    created_from: str = ""
    created_to: str = ""
    updated_from: str = ""
    updated_to: str = ""
    responsible: str = ""
    department: str = ""
    channel: str = ""
    dialog: str = ""
    unread: bool = False
    scope: str = ""
    sort: str = lq.SortKey.activity.value
    desc: bool = True
    page: int = 1

    pages: int = 1
    total: int = 0
    more: bool = False  # more than ``total`` chats: the list says «10 000+»
    count_all: int = 0
    count_new: int = 0
    rows: list[ChatRow] = []
    loading: bool = True
    error: str = ""
    filters_open: bool = False
    choices: FilterChoices = FilterChoices()
    hidden: list[str] = []
    flash_id: int = 0  # the row that just moved to the top (P8)
    alert_seq: int = 0  # P9: inbox.js sounds and notifies when this grows
    alert_title: str = ""
    alert_body: str = ""
    exporting: bool = False
    export_done: int = 0
    export_total: int = 0
    _me: int = 0
    _max_number: int = 0  # the newest chat's number when the screen loaded

    # ---- the view ---------------------------------------------------------------------
    def _view(self) -> lq.ListView:
        return lq.from_params(self._params())

    def _params(self) -> dict[str, str]:
        values = {
            "tab": self.tab,
            "q": self.search,
            "topic": self.topic,
            "project": self.project,
            "building": self.building,
            "created_from": self.created_from,
            "created_to": self.created_to,
            "updated_from": self.updated_from,
            "updated_to": self.updated_to,
            "responsible": self.responsible,
            "department": self.department,
            "channel": self.channel,
            "state": self.dialog,
            "unread": "1" if self.unread else "",
            "view": self.scope,
            "sort": self.sort,
            "dir": "desc" if self.desc else "asc",
            "page": str(self.page),
        }
        return {k: v for k, v in values.items() if v}

    def _show_view(self, view: lq.ListView) -> None:
        """Set every control from ``view`` (already checked by ``from_params``)."""
        self.tab, self.search, self.topic = view.tab, view.search, view.topic
        self.project, self.building = _id(view.project), _id(view.building)
        self.created_from, self.created_to = view.created_from, view.created_to
        self.updated_from, self.updated_to = view.updated_from, view.updated_to
        self.responsible, self.department = _id(view.responsible), _id(view.department)
        self.channel, self.dialog, self.unread = view.channel, view.state, view.unread
        self.scope, self.sort, self.desc, self.page = view.scope, view.sort, view.desc, view.page

    def _url_script(self) -> rx.event.EventSpec:
        """The view into the address bar (no navigation): bookmarkable and shareable (L3)."""
        query = lq.to_query(self._view())
        url = ROUTE + (f"?{query}" if query else "")
        # Only while the list is still shown: a debounced search can answer after a row opened
        # the card, and must not put the list's address over the card's.
        return rx.call_script(
            f"if (window.location.pathname.replace(/\\/$/, '') === {json.dumps(ROUTE)}) "
            f"window.history.replaceState(window.history.state, '', {json.dumps(url)})"
        )

    async def _off_loop(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await off_loop(self, fn, *args, **kwargs)

    async def _load(self) -> None:
        view = self._view()
        try:
            employee_id = self._employee_id()
            result, counts = await self._off_loop(_page_and_counts, employee_id, view)
        except Unauthenticated:
            raise  # a session that ended (logout, deactivation): the edge sends the tab to /login
        except ServiceError as err:
            self.error, self.rows, self.loading = err.message, [], False
            return
        self.error, self.loading = "", False
        self.rows, self.total, self.page, self.pages = result.rows, result.total, result.page, result.pages
        self.more = result.more
        self.count_all, self.count_new = counts.all, counts.new
        # Chats are numbered 1…N without gaps (list_order.count_all): a larger number is a new chat.
        self._max_number = max(self._max_number, counts.all)

    async def _reload(self):  # type: ignore[no-untyped-def]
        await self._load()
        return self._url_script()

    # ---- events -----------------------------------------------------------------------
    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not await self._off_loop(self._identify):
            return rx.redirect("/login")
        self._show_view(lq.from_params(dict(self.router.url.query_parameters)))
        try:
            employee_id = self._employee_id()
            self._me = employee_id
            self.choices, self.hidden = await self._off_loop(_screen_setup, employee_id)
        except ServiceError as err:
            self.error, self.loading = err.message, False
            return None
        await self._load()
        live.registry.watch_list(self.router.session.client_token, type(self))
        return None

    @rx.event
    def leave(self) -> None:
        live.registry.unwatch_list(self.router.session.client_token, type(self))

    @rx.event
    async def set_tab(self, tab: str):  # type: ignore[no-untyped-def]
        self.tab, self.page = ("new" if tab == "new" else "all"), 1
        return await self._reload()

    @rx.event
    async def set_search(self, value: str):  # type: ignore[no-untyped-def]
        self.search, self.page = value[: lq.MAX_SEARCH], 1
        return await self._reload()

    @rx.event
    async def set_filter(self, name: str, value: str | bool):  # type: ignore[no-untyped-def]
        """One control of «Фильтры» changed; the value is checked like a URL's."""
        params = self._params()
        key = _PARAM.get(name, name)
        params[key] = ("1" if value else "") if isinstance(value, bool) else str(value)
        params["page"] = "1"
        self._show_view(lq.from_params(params))
        return await self._reload()

    @rx.event
    async def reset_filters(self):  # type: ignore[no-untyped-def]
        view = self._view()
        self._show_view(lq.ListView(tab=view.tab, search=view.search, sort=view.sort, desc=view.desc))
        return await self._reload()

    @rx.event
    async def sort_by(self, column: str):  # type: ignore[no-untyped-def]
        """A click on a column header: sort by it, a second click turns the order round."""
        if column not in lq.SortKey.__members__:
            return None
        self.desc = not self.desc if self.sort == column else column in ("created", "updated", "labels")
        self.sort, self.page = column, 1
        return await self._reload()

    @rx.event
    async def next_page(self):  # type: ignore[no-untyped-def]
        self.page += 1
        return await self._reload()

    @rx.event
    async def prev_page(self):  # type: ignore[no-untyped-def]
        self.page = max(1, self.page - 1)
        return await self._reload()

    @rx.event
    def toggle_filters(self) -> None:
        self.filters_open = not self.filters_open

    @rx.event
    async def toggle_column(self, column: str) -> None:
        """Hide or show a column (L4): kept in the database for this employee."""
        hidden = set(self.hidden) ^ {column}
        try:
            self.hidden = await self._off_loop(
                inbox.set_hidden_columns, employee_id=self._employee_id(), columns=list(hidden)
            )
        except ServiceError as err:
            self.error = err.message

    # ---- live (P8, P9) ------------------------------------------------------------------
    async def apply_list(self, event: ChatEvent, update: ListUpdate) -> None:
        """Place the one changed row; the page itself is not read again."""
        if event.topic == EventTopic.resync or update.row is None:
            await self._load()
            return
        row, view = update.row, self._view()
        is_new = row.number > self._max_number
        placed = live_rows.place(view, list(self.rows), row, self._me, is_new)
        if placed.rows != self.rows:
            self.rows = placed.rows
        self.flash_id = row.id if placed.moved else self.flash_id
        if view.tab == "new":
            self.total = update.new_count
        elif not self.more:
            self.total = max(0, self.total + placed.total_delta)
        self.pages = max(1, -(-self.total // lq.PAGE_SIZE), self.page)
        if is_new:
            self._max_number, self.count_all = row.number, self.count_all + 1
        self.count_new = update.new_count
        if event.topic == EventTopic.message and row.last_from_client and row.unread > 0:
            self._alert(row)

    def _alert(self, row: ChatRow) -> None:
        """P9: a client wrote in a chat of mine or of nobody's."""
        if row.responsible_id not in (0, self._me):
            return
        self.alert_title = t("inbox.alert_title", number=row.number)
        self.alert_body = f"{row.client_name}: {row.preview}"
        self.alert_seq += 1

    # ---- «Экспорт» (L5) -----------------------------------------------------------------
    @rx.event(background=True)
    async def export(self):  # type: ignore[no-untyped-def]
        async with self:
            if self.exporting:
                return None
            try:
                employee_id = self._employee_id()
            except ServiceError as err:
                self.error = err.message
                return None
            view = self._view()
            columns = [c for c in lq.COLUMNS if c not in self.hidden]
            self.exporting, self.export_done, self.export_total = True, 0, self.total
        progress = [0, 0]

        def on_progress(done: int, total: int) -> None:
            progress[:] = [done, total]

        job = asyncio.ensure_future(
            asyncio.to_thread(
                export.export_chats,
                employee_id=employee_id,
                view=view,
                columns=columns,
                on_progress=on_progress,
            )
        )
        while not job.done():
            await asyncio.wait([job], timeout=0.5)
            async with self:
                self.export_done, self.export_total = progress[0], progress[1] or self.export_total
        async with self:
            self.exporting = False
            try:
                made = job.result()
            except ServiceError as err:
                self.error = err.message
                return None
            except Exception:
                self.error = t("inbox.export_failed")
                raise
        return rx.download(url=f"/exports/{made.token}", filename=made.filename)


def _id(value: int) -> str:
    return str(value) if value else ""


def _page_and_counts(employee_id: int, view: lq.ListView) -> tuple[inbox.ChatPage, inbox.TabCounts]:
    return inbox.list_page(employee_id=employee_id, view=view), inbox.tab_counts(employee_id=employee_id)


def _screen_setup(employee_id: int) -> tuple[FilterChoices, list[str]]:
    return inbox.filter_choices(employee_id=employee_id), inbox.hidden_columns(employee_id=employee_id)

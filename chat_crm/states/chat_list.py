"""«Поддержка» → «Чат»: one page of chats, filtered and paged in SQL."""

from __future__ import annotations

import reflex as rx

from chat_crm.services import chats
from chat_crm.services.errors import ServiceError
from chat_crm.states.session import SessionState


class ChatListState(SessionState):
    tab: str = "all"
    search: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: list[chats.ChatRow] = []
    error: str = ""

    def _load(self) -> None:
        try:
            result = chats.list_chats(
                employee_id=self._employee_id(),
                search=self.search if self.tab == "all" else "",
                only_unread=self.tab == "new",
                page=self.page,
            )
        except ServiceError as err:
            self.error, self.rows = err.message, []
            return
        self.error = ""
        self.rows, self.total, self.page, self.pages = (
            result.rows,
            result.total,
            result.page,
            result.pages,
        )

    @rx.event
    def on_load(self):  # type: ignore[no-untyped-def]
        if not self._identify():
            return rx.redirect("/login")
        self._load()
        return None

    @rx.event
    def set_tab(self, tab: str) -> None:
        self.tab, self.page = ("new" if tab == "new" else "all"), 1
        self._load()

    @rx.event
    def set_search(self, value: str) -> None:
        self.search, self.page = value[:200], 1
        self._load()

    @rx.event
    def next_page(self) -> None:
        self.page += 1
        self._load()

    @rx.event
    def prev_page(self) -> None:
        self.page -= 1
        self._load()

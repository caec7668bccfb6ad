"""The live list in memory (P8): does one changed row belong on a screen, and where.

``matches`` is ``list_query.conditions`` in Python, over a row's facts; the two must agree
(tests/services/test_chats.py checks them against each other). Nothing here reads the database.
"""

from __future__ import annotations

import dataclasses

from chat_crm.services import list_query as lq
from chat_crm.services.inbox import ChatRow
from chat_crm.texts import t


def _search_matches(needle: str, row: ChatRow) -> bool:
    needle = needle.strip().casefold()
    if not needle:
        return True
    anonymous = t("app.anonymous").casefold()
    found = lq._ANONYMOUS_ID.match(needle)
    if found and anonymous.startswith(found["prefix"]):
        return not row.client_authorized and row.client_id == int(found["id"])
    if needle.isdigit():
        return len(needle) < 10 and row.number == int(needle)
    if needle in row.name_key:
        return True
    return len(needle) >= 3 and anonymous.startswith(needle) and not row.client_authorized


def _in_days(ts: float, low: str, high: str) -> bool:
    if low and ts < lq._day_bound(low, end=False).timestamp():
        return False
    return not (high and ts >= lq._day_bound(high, end=True).timestamp())


def matches(view: lq.ListView, row: ChatRow, employee_id: int) -> bool:
    """Whether ``row`` is in ``view`` (any page), as the SQL of the view would say."""
    view = view.filtered
    checks = (
        not (view.tab == "new" or view.unread) or row.unread > 0,
        _search_matches(view.search, row),
        not view.topic or row.topic_code == view.topic,
        not view.building or row.building_id == view.building,
        bool(view.building) or not view.project or row.project_id == view.project,
        _in_days(row.created_ts, view.created_from, view.created_to),
        _in_days(row.updated_ts, view.updated_from, view.updated_to),
        not view.responsible or row.responsible_id == view.responsible,
        not view.department or row.department_id == view.department,
        not view.channel or row.channel_code == view.channel,
        view.state != "closed" or not row.is_open,
        view.state != "open" or row.is_open,
        view.scope != lq.Scope.mine or row.responsible_id == employee_id,
        view.scope != lq.Scope.unassigned or row.responsible_id == 0,
    )
    return all(checks)


def _to_top(view: lq.ListView) -> bool:
    """Whether a changed row goes first: the newest-first orders, on page 1."""
    view = view.filtered
    return view.page == 1 and view.desc and view.sort in (lq.SortKey.activity, lq.SortKey.updated)


@dataclasses.dataclass(frozen=True)
class Placed:
    rows: list[ChatRow]
    total_delta: int  # -1, 0 or +1
    moved: bool  # the row went (or came) to the top


def place(view: lq.ListView, rows: list[ChatRow], row: ChatRow, employee_id: int, is_new: bool) -> Placed:
    """``rows`` after ``row`` changed: replaced, moved to the top, added or dropped.

    ``is_new``: the chat did not exist when the screen loaded (it counts one more).
    """
    at = next((i for i, shown in enumerate(rows) if shown.id == row.id), -1)
    if not matches(view, row, employee_id):
        if at < 0:
            return Placed(rows, 0, False)
        return Placed(rows[:at] + rows[at + 1 :], -1, False)
    if _to_top(view):
        rest = [shown for shown in rows if shown.id != row.id]
        grew = at < 0 and (is_new or view.filtered.tab == "new" or view.unread)
        return Placed([row, *rest][: lq.PAGE_SIZE], 1 if grew else 0, True)
    if at >= 0:
        return Placed(rows[:at] + [row] + rows[at + 1 :], 0, False)
    return Placed(rows, 1 if is_new else 0, False)

"""The chat list's view (L2, L3, L7): filters, search and sort as one typed value, and its SQL.

A ``ListView`` is what the URL says (``?topic=deal&sort=number&dir=asc``), so a filtered
list can be bookmarked and shared. The same value filters a page in SQL and, for the live
list, one changed row in memory (``matches``): the SQL and the Python must agree.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import col, select

from chat_crm.config import get_settings
from chat_crm.models import Building, Chat, Client, DialogState, Message, Topic, Unit
from chat_crm.models.realty import Channel
from chat_crm.texts import t

PAGE_SIZE = 50
# A view counts its chats up to here: past it the list says «10 000+» (an exact count of half
# a million chats would cost more than the page itself).
COUNT_CAP = 10_000
MAX_SEARCH = 200


class SortKey(enum.StrEnum):
    activity = "activity"  # the newest message (or the chat's creation) first: the default
    number = "number"
    client = "client"
    topic = "topic"
    project = "project"
    responsible = "responsible"
    channel = "channel"
    created = "created"
    updated = "updated"
    labels = "labels"


# The table's columns, in order; each can be hidden (L4) and sorted by (L3).
COLUMNS: tuple[str, ...] = (
    "number",
    "client",
    "topic",
    "project",
    "responsible",
    "channel",
    "created",
    "updated",
    "labels",
)


class Scope(enum.StrEnum):
    """The views «Мои» and «Без ответственного»."""

    all = ""
    mine = "mine"
    unassigned = "unassigned"


@dataclasses.dataclass(frozen=True)
class ListView:
    """What the list shows: every field has a neutral default, so an empty URL is the whole list."""

    tab: str = "all"  # "all" or "new" (L7: search and filters only on «Все»)
    search: str = ""
    topic: str = ""
    project: int = 0
    building: int = 0
    created_from: str = ""  # YYYY-MM-DD, a day in the partner's zone
    created_to: str = ""
    updated_from: str = ""
    updated_to: str = ""
    responsible: int = 0
    department: int = 0
    channel: str = ""
    state: str = ""  # "open" or "closed"
    unread: bool = False
    scope: str = ""
    sort: str = SortKey.activity.value
    desc: bool = True
    page: int = 1

    @property
    def filtered(self) -> ListView:
        """The view the query runs: on «Новые» only the unread chats, nothing else (L7)."""
        if self.tab == "new":
            return ListView(tab="new", sort=self.sort, desc=self.desc, page=self.page)
        return self

    @property
    def has_filters(self) -> bool:
        neutral = ListView(tab=self.tab, search=self.search, sort=self.sort, desc=self.desc, page=self.page)
        return self != neutral


_INT_FIELDS = ("project", "building", "responsible", "department", "page")
_DAY_FIELDS = ("created_from", "created_to", "updated_from", "updated_to")
_DEFAULT = ListView()


def _int(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _day(raw: str) -> str:
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return ""


def from_params(params: Mapping[str, str]) -> ListView:
    """The view a URL's query names; anything unknown or malformed falls back to the default."""
    get = lambda key: str(params.get(key, "") or "")  # noqa: E731
    values: dict[str, object] = {key: _int(get(key)) for key in _INT_FIELDS}
    values |= {key: _day(get(key)) for key in _DAY_FIELDS}
    values["page"] = max(1, int(values["page"]))  # type: ignore[call-overload]
    values["tab"] = "new" if get("tab") == "new" else "all"
    values["search"] = get("q")[:MAX_SEARCH]
    values["topic"] = get("topic") if get("topic") in Topic.__members__ else ""
    values["channel"] = get("channel") if get("channel") in Channel.__members__ else ""
    values["state"] = get("state") if get("state") in ("open", "closed") else ""
    values["unread"] = get("unread") == "1"
    values["scope"] = get("view") if get("view") in (s.value for s in Scope) else ""
    values["sort"] = get("sort") if get("sort") in SortKey.__members__ else SortKey.activity.value
    values["desc"] = get("dir") != "asc"
    return ListView(**values)  # type: ignore[arg-type]


def to_query(view: ListView) -> str:
    """The URL query of ``view``: only what differs from the default, in a stable order."""
    pairs: list[tuple[str, str]] = []
    names = {"search": "q", "scope": "view"}
    for field in dataclasses.fields(ListView):
        value = getattr(view, field.name)
        if value == getattr(_DEFAULT, field.name):
            continue
        if field.name == "desc":
            pairs.append(("dir", "desc" if value else "asc"))
        elif isinstance(value, bool):
            pairs.append((field.name, "1"))
        else:
            pairs.append((names.get(field.name, field.name), str(value)))
    return urlencode(pairs)


# ---- SQL -------------------------------------------------------------------------------


def unread_client_condition() -> sa.ColumnElement[bool]:
    """M11's client-side "unread", with the constant inline: it matches the partial index
    ``ix_message_unread_client`` even in a prepared statement's generic plan."""
    m = Message.__table__.c  # type: ignore[attr-defined]
    return sa.and_(
        m.author_kind == sa.literal_column("'client'"), m.read_at.is_(None), m.deleted_at.is_(None)
    )


def unread_count() -> sa.ScalarSelect[int]:
    m = Message.__table__.c  # type: ignore[attr-defined]
    return (
        select(sa.func.count(m.id))
        .where(m.chat_id == Chat.id, unread_client_condition())
        .correlate(Chat)
        .scalar_subquery()
    )


def unread_chat_ids() -> sa.Select:  # type: ignore[type-arg]
    m = Message.__table__.c  # type: ignore[attr-defined]
    return select(m.chat_id).where(unread_client_condition())


def activity() -> sa.ColumnElement[datetime]:
    """When the chat last had a message, or was created: the default order (P8)."""
    return sa.func.coalesce(Chat.last_message_at, Chat.created_at)


def _day_bound(day: str, *, end: bool) -> datetime:
    start = datetime.combine(date.fromisoformat(day), time.min, tzinfo=get_settings().zone)
    return (start + timedelta(days=1) if end else start).astimezone(UTC)


_ANONYMOUS_ID = re.compile(r"^(?P<prefix>[^#]*?)\s*#\s*(?P<id>\d{1,9})$")


def _search_condition(needle: str) -> sa.ColumnElement[bool] | None:
    """By chat number, by part of the ФИО, or a visitor as the list shows it:
    «Неавторизованный посетитель #263» (or «#263»)."""
    needle = needle.strip().casefold()
    if not needle:
        return None
    anonymous = t("app.anonymous").casefold()
    found = _ANONYMOUS_ID.match(needle)
    if found and anonymous.startswith(found["prefix"]):
        return sa.and_(col(Client.is_authorized).is_(False), Client.id == int(found["id"]))
    if needle.isdigit():  # a ФИО has no digits: a number is a chat's number, an index lookup
        return Chat.number == int(needle) if len(needle) < 10 else sa.false()
    options: list[sa.ColumnElement[bool]] = [col(Client.name_search).contains(needle, autoescape=True)]
    if len(needle) >= 3 and anonymous.startswith(needle):
        options.append(col(Client.is_authorized).is_(False))
    return sa.or_(*options)


def needs_client_join(view: ListView, sorting: bool = False) -> bool:
    """Whether the query must join ``client``: to search a name, or to sort by it."""
    needle = view.filtered.search.strip()
    return bool(needle and not needle.isdigit()) or (sorting and view.filtered.sort == SortKey.client)


def only_unread(view: ListView) -> bool:
    return view.filtered.tab == "new" or view.filtered.unread


def conditions(view: ListView, employee_id: int, unread: bool = True) -> list[sa.ColumnElement[bool]]:
    """The WHERE of ``view`` over ``chat`` (and ``client`` when searching).

    ``unread=False`` leaves out «only unread»: a count that starts from the unread
    messages themselves (``list_order.count_chats``) needs it no more."""
    view = view.filtered
    where: list[sa.ColumnElement[bool]] = []
    if unread and only_unread(view):
        where.append(col(Chat.id).in_(unread_chat_ids()))
    if (search := _search_condition(view.search)) is not None:
        where.append(search)
    if view.topic:
        where.append(Chat.topic == Topic(view.topic))
    if view.building:
        where.append(col(Chat.unit_id).in_(select(Unit.id).where(Unit.building_id == view.building)))
    elif view.project:
        in_project = select(Unit.id).join(Building, col(Building.id) == Unit.building_id)
        where.append(col(Chat.unit_id).in_(in_project.where(Building.project_id == view.project)))
    for field, column in (("created", Chat.created_at), ("updated", Chat.updated_at)):
        if low := getattr(view, f"{field}_from"):
            where.append(column >= _day_bound(low, end=False))
        if high := getattr(view, f"{field}_to"):
            where.append(column < _day_bound(high, end=True))
    if view.responsible:
        where.append(Chat.responsible_id == view.responsible)
    if view.department:
        where.append(Chat.department_id == view.department)
    if view.channel:
        where.append(Chat.channel == Channel(view.channel))
    if view.state == "closed":
        where.append(Chat.dialog_state == DialogState.closed)
    elif view.state == "open":
        where.append(Chat.dialog_state != DialogState.closed)
    if view.scope == Scope.mine:
        where.append(Chat.responsible_id == employee_id)
    elif view.scope == Scope.unassigned:
        where.append(col(Chat.responsible_id).is_(None))
    return where


def order_by(view: ListView, names: Mapping[str, sa.ColumnElement]) -> list[sa.ColumnElement]:  # type: ignore[type-arg]
    """ORDER BY for the view's sort, always ending on the chat id so pages never overlap.

    ``names`` holds the joined columns (client, project, responsible, unread count).
    """
    view = view.filtered
    keys: dict[str, sa.ColumnElement] = {  # type: ignore[type-arg]
        SortKey.activity: activity(),
        SortKey.number: col(Chat.number),
        SortKey.topic: col(Chat.topic),
        SortKey.channel: col(Chat.channel),
        SortKey.created: col(Chat.created_at),
        SortKey.updated: col(Chat.updated_at),
        **names,
    }
    key = keys[view.sort]
    if view.sort == SortKey.number:
        return [key.desc() if view.desc else key.asc()]
    # By name, the tie is the client (one chat each): the index (name_search, id) gives the order.
    tie = col(Client.id) if view.sort == SortKey.client else col(Chat.id)
    return [key.desc(), tie.desc()] if view.desc else [key.asc(), tie.asc()]

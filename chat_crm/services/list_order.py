"""The order of the chat list's pages at a million chats (L3, L7).

Sorting by «Метки», «Ответственный» or «Проект» would make the database sort every chat
for one page; here such a page is put together from index-served parts instead.
``bench/list_scale.py`` measures each order.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from chat_crm.models import Building, Chat, Client, Employee, Message, Project, Unit
from chat_crm.services import list_query as lq


def count_all(session: Session) -> int:
    """How many chats there are, in one index lookup instead of counting a million rows:
    chats are never deleted (M10) and ``chats.ensure_chat`` numbers them 1, 2, 3… without gaps."""
    return session.exec(select(func.coalesce(func.max(Chat.number), 0))).one()


def count_chats(session: Session, view: lq.ListView, employee_id: int, cap: int | None = None) -> int:
    """How many chats the view holds; with ``cap``, at most ``cap + 1`` (more than the cap).

    «Only unread» counts from the unread messages (the partial index: few rows) to their
    chats, not from every chat to its messages."""
    unread = lq.only_unread(view)
    where = lq.conditions(view, employee_id, unread=False)
    if not where and not unread:
        return count_all(session)
    if unread:
        m = Message.__table__.c  # type: ignore[attr-defined]
        query = select(m.chat_id).distinct().where(lq.unread_client_condition())
        if where or lq.needs_client_join(view):  # only the index when nothing else filters
            query = query.join(Chat, col(Chat.id) == m.chat_id)
    else:
        query = select(Chat.id)
    if lq.needs_client_join(view):
        query = query.join(Client, col(Client.id) == Chat.client_id)
    query = query.where(*where)
    if cap is not None:
        query = query.limit(cap + 1)
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def ids_by_labels(
    session: Session, view: lq.ListView, employee_id: int, offset: int, limit: int
) -> list[int]:
    """«Метки» order without counting every chat's messages: the chats with unread messages
    (few: the partial index) by their count, and the others (none unread) by id."""
    m = Message.__table__.c  # type: ignore[attr-defined]
    counted = (
        select(m.chat_id, func.count(m.id).label("n"))
        .where(lq.unread_client_condition())
        .group_by(m.chat_id)
        .subquery()
    )
    where = lq.conditions(view, employee_id)
    top, rest = select(Chat.id).join(counted, counted.c.chat_id == Chat.id), select(Chat.id)
    if lq.needs_client_join(view):
        top = top.join(Client, col(Client.id) == Chat.client_id)
        rest = rest.join(Client, col(Client.id) == Chat.client_id)
    top = top.where(*where)
    rest = rest.where(*where, col(Chat.id).not_in(lq.unread_chat_ids()))
    unread = session.exec(select(func.count()).select_from(top.subquery())).one()
    if view.desc:
        first, second = (
            top.order_by(counted.c.n.desc(), col(Chat.id).desc()),
            rest.order_by(col(Chat.id).desc()),
        )
        in_first = unread
    else:
        first, second = rest.order_by(col(Chat.id)), top.order_by(counted.c.n, col(Chat.id))
        in_first = count_chats(session, view, employee_id) - unread
    ids: list[int] = []
    if offset < in_first:
        ids += session.exec(first.offset(offset).limit(limit)).all()
    if len(ids) < limit:
        ids += session.exec(second.offset(max(0, offset - in_first)).limit(limit - len(ids))).all()
    return ids


def _groups(session: Session, sort: str) -> list[sa.ColumnElement[bool]]:
    """The chats sorted by «Ответственный» or «Проект», as groups in the name order, each a
    condition an index serves; the group with none comes last (as PostgreSQL puts NULLs)."""
    if sort == lq.SortKey.responsible:
        people = session.exec(select(Employee.id).order_by(col(Employee.full_name), col(Employee.id))).all()
        return [Chat.responsible_id == person for person in people] + [col(Chat.responsible_id).is_(None)]
    projects = session.exec(select(Project.id).order_by(col(Project.name), col(Project.id))).all()
    units = select(Unit.id).join(Building, col(Building.id) == Unit.building_id)
    return [col(Chat.unit_id).in_(units.where(Building.project_id == p)) for p in projects] + [
        col(Chat.unit_id).is_(None)
    ]


def ids_by_groups(
    session: Session, view: lq.ListView, employee_id: int, offset: int, limit: int
) -> list[int]:
    """A page sorted by a joined name without sorting every chat: group by group in order,
    counting a group only to skip it on a deep page."""
    base = select(Chat.id)
    if lq.needs_client_join(view):
        base = base.join(Client, col(Client.id) == Chat.client_id)
    base = base.where(*lq.conditions(view, employee_id))
    groups = _groups(session, view.sort)
    order = col(Chat.id).desc() if view.desc else col(Chat.id).asc()
    ids: list[int] = []
    skip = offset
    for group in reversed(groups) if view.desc else groups:
        if len(ids) >= limit:
            break
        query = base.where(group)
        if skip:
            size = session.exec(select(func.count()).select_from(query.subquery())).one()
            if size <= skip:
                skip -= size
                continue
        ids += session.exec(query.order_by(order).offset(skip).limit(limit - len(ids))).all()
        skip = 0
    return ids


def page_ids(session: Session, view: lq.ListView, employee_id: int, offset: int, limit: int) -> list[int]:
    """The chat ids of one page in the view's order (narrow: the rows are read after)."""
    view = view.filtered
    if view.sort == lq.SortKey.labels:
        return ids_by_labels(session, view, employee_id, offset, limit)
    if view.sort in (lq.SortKey.responsible, lq.SortKey.project):
        return ids_by_groups(session, view, employee_id, offset, limit)
    ids = select(Chat.id)
    if lq.needs_client_join(view, sorting=True):
        ids = ids.join(Client, col(Client.id) == Chat.client_id)
    names = {lq.SortKey.client: col(Client.name_search)}
    ids = ids.where(*lq.conditions(view, employee_id)).order_by(*lq.order_by(view, names))
    return list(session.exec(ids.offset(offset).limit(limit)).all())

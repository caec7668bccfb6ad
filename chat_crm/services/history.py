"""«История изменений» (C4): the one way a change of a chat's field is written down."""

from __future__ import annotations

from chat_crm.db import UnitOfWork
from chat_crm.models import AuthorKind, Chat, ChatChange


def record_change(
    work: UnitOfWork,
    chat: Chat,
    field: str,
    change: tuple[str, str],
    *,
    actor_kind: AuthorKind,
    actor_employee_id: int | None = None,
    note: str = "",
) -> None:
    """One history line: ``field`` went from ``change[0]`` to ``change[1]`` (display values)."""
    old, new = change
    work.session.add(
        ChatChange(
            chat_id=chat.id or 0,
            actor_kind=actor_kind,
            employee_id=actor_employee_id,
            field=field,
            old_value=old,
            new_value=new,
            note=note,
        )
    )

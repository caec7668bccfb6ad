"""Service views → API models: one place that says how a message looks on the wire."""

from __future__ import annotations

from chat_crm.api import schemas
from chat_crm.models import utcnow
from chat_crm.services import bot, messages
from chat_crm.services.attachments import StagedFile
from chat_crm.texts import t

API = "/api/v1"


def file_url(file_id: int) -> str:
    return f"{API}/files/{file_id}"


def message(facts: messages.MessageFacts) -> schemas.MessageOut:
    view, row = messages.view_for(facts, messages.Viewer(), utcnow()), facts.row
    return schemas.MessageOut(
        id=view.id,
        client_msg_id=row.client_msg_id,
        author_kind=view.author_kind,  # type: ignore[arg-type]
        author_name=view.author_name,
        is_mine=view.is_mine,
        is_bot=view.is_bot,
        text=view.text,
        created_at=row.created_at,
        is_edited=view.is_edited,
        is_deleted=view.is_deleted,
        is_read=view.is_read,
        can_change=view.can_change,
        dialog_mark=row.dialog_mark.value if row.dialog_mark else "",
        file=schemas.FileOut(
            id=view.file_id,
            name=view.file_name,
            size=view.file_size,
            is_image=view.file_is_image,
            url=file_url(view.file_id),
        )
        if view.file_id
        else None,
        link=schemas.LinkOut(kind=view.link_kind, title=view.link_title, note=view.link_note)
        if view.link_kind
        else None,
    )


def staged(file: StagedFile) -> schemas.FileOut:
    return schemas.FileOut(
        id=file.id, name=file.name, size=file.size, is_image=file.is_image, url=file_url(file.id)
    )


def bot_panel(panel: bot.BotPanel) -> schemas.BotOut:
    """The bot's question and its buttons, as the simulated app's panel offers them (B2–B5)."""
    if panel.step == "choose_unit":
        others = ["no_unit"] if panel.units else ["purchase", "other"]
    else:
        others = []
    return schemas.BotOut(
        step=panel.step if panel.step in ("choose_unit", "choose_topic") else "",  # type: ignore[arg-type]
        prompt=bot.bot_prompt(panel.step),
        units=[schemas.UnitOut(**vars(u)) for u in panel.units],
        topics=[schemas.Choice(value=o.value, label=o.label) for o in panel.topics],
        other_choices=[schemas.Choice(value=c, label=t(f"bot.choice.{c}")) for c in others],
        can_go_back=panel.step == "choose_topic",
    )

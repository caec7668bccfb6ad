"""The chat-bot dialog in the client's app (B1–B10).

The bot leads an authorized client from the greeting to a unit and a topic,
then hands the dialog to the responsible that ``assignment.responsible_for``
picks. Every step is a message in the chat and a line of the history by
«Чат-бот». The dialog's state lives on the chat row (``dialog_state``,
``bot_step``), so any worker and any restart continues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from chat_crm.db import UnitOfWork, read_session, unit_of_work
from chat_crm.models import (
    AuthorKind,
    BotSettings,
    BotStep,
    Building,
    Chat,
    Client,
    ClientUnit,
    DialogMark,
    DialogState,
    Employee,
    Message,
    Project,
    Topic,
    TopicRule,
    Unit,
    UnitStatus,
    utcnow,
)
from chat_crm.services import reassign
from chat_crm.services.access import access_client
from chat_crm.services.assignment import assign_responsible, responsible_for
from chat_crm.services.bot_settings import bot_settings_row, bot_topics
from chat_crm.services.chats import add_message, ensure_chat, topic_label, touch, unit_caption
from chat_crm.services.errors import ServiceError
from chat_crm.services.history import record_change
from chat_crm.services.messages.rules import require_chat_shown
from chat_crm.services.reports import dialogs as report_dialogs
from chat_crm.services.settings import Option
from chat_crm.texts import t

BOT_TOPICS = (Topic.booking, Topic.deal, Topic.acceptance, Topic.mortgage)
# B4: which topics a unit in each status may ask about (before the "configured" filter).
TOPICS_BY_STATUS: dict[UnitStatus, tuple[Topic, ...]] = {
    UnitStatus.booking: (Topic.booking, Topic.mortgage),
    UnitStatus.deal: (Topic.booking, Topic.deal, Topic.mortgage),
    UnitStatus.acceptance: (Topic.booking, Topic.deal, Topic.acceptance, Topic.mortgage),
}
# B3 and B2's «Нет нужного варианта»: every one of them means «Другой вопрос» (B7).
OTHER_CHOICES = ("no_unit", "purchase", "other")


def configured_topics(session: Session) -> set[Topic]:
    """Topics the partner bought (S5) that have at least one rule: only these are offered (B4)."""
    return set(session.exec(select(TopicRule.topic).distinct()).all()) & set(bot_topics(session))


def bot_active(session: Session) -> bool:
    """The bot runs when it is switched on and at least one topic is configured."""
    return bot_settings_row(session).enabled and bool(configured_topics(session))


def topics_for(session: Session, status: UnitStatus) -> list[Topic]:
    configured = configured_topics(session)
    return [topic for topic in TOPICS_BY_STATUS[status] if topic in configured]


def _runs_for(session: Session, client: Client) -> bool:
    return client.is_authorized and bot_active(session)


def restart_after(settings: BotSettings) -> timedelta:
    return timedelta(minutes=max(1, settings.restart_after_minutes))


# ---- messages and history -----------------------------------------------------------


def _bot_says(work: UnitOfWork, chat: Chat, text: str, mark: DialogMark | None = None) -> None:
    """A bot message, signed by the S9 employee when one is set (B1)."""
    settings = bot_settings_row(work.session)
    sender = (
        work.session.get(Employee, settings.greeting_employee_id) if settings.greeting_employee_id else None
    )
    chat.last_message_at = utcnow()
    add_message(
        work,
        chat,
        Message(
            author_kind=AuthorKind.bot,
            employee_id=sender.id if sender else None,
            text=text,
            dialog_mark=mark,
        ),
    )
    schedule_inactivity(work.session, chat)


def _client_says(work: UnitOfWork, chat: Chat, text: str) -> None:
    """The client's tap, shown in the chat as what the client said."""
    chat.last_message_at = chat.last_client_message_at = utcnow()
    chat.inactivity_due_at = None
    add_message(work, chat, Message(author_kind=AuthorKind.client, text=text))


def _record(work: UnitOfWork, chat: Chat, field: str, old: str, new: str, note: str = "") -> None:
    record_change(work, chat, field, (old, new), actor_kind=AuthorKind.bot, note=note)


def _text(configured: str, default_key: str) -> str:
    return configured.strip() or t(default_key)


def schedule_inactivity(session: Session, chat: Chat) -> None:
    """B9: after a bot or employee message the client has «Повторный запуск» to answer."""
    if chat.dialog_state == DialogState.closed or not bot_active(session):
        chat.inactivity_due_at = None
        return
    chat.inactivity_due_at = utcnow() + restart_after(bot_settings_row(session))


# ---- the dialog ------------------------------------------------------------------------


def _start(work: UnitOfWork, chat: Chat) -> None:
    settings = bot_settings_row(work.session)
    chat.dialog_state, chat.bot_step = DialogState.bot, BotStep.choose_unit
    chat.dialog_started_at = utcnow()
    _record(work, chat, "dialog", t("dialog.closed"), t("dialog.bot"))
    if chat.unit_id is not None or chat.topic is not None:
        _record(work, chat, "unit", unit_caption(work.session, chat.unit_id)[0], t("dash"))
        chat.unit_id, chat.topic = None, None
    _bot_says(work, chat, _text(settings.greeting_text, "bot.default.greeting"), DialogMark.opened)
    _bot_says(work, chat, _text(settings.prompt_unit_text, "bot.default.prompt_unit"))


def enter_chat(*, client_id: int, unit_id: int | None = None) -> None:
    """The client opened the chat (B1). From a booking, deal or acceptance card (B10)
    ``unit_id`` is that card's unit: the bot starts with it chosen."""
    with unit_of_work() as work:
        client = access_client(work.session, client_id)
        require_chat_shown(work.session)
        if not _runs_for(work.session, client):
            return
        chat = ensure_chat(work.session, client)
        if chat.dialog_state == DialogState.closed:
            _start(work, chat)
        if unit_id is not None and chat.bot_step == BotStep.choose_unit:
            _choose_unit(work, chat, client, unit_id)
        touch(work, chat)


def _client_unit(session: Session, client: Client, unit_id: int) -> ClientUnit:
    link = session.exec(
        select(ClientUnit).where(ClientUnit.client_id == client.id, ClientUnit.unit_id == unit_id)
    ).first()
    if link is None:
        raise ServiceError(t("error.not_found"))
    return link


def _bot_chat(work: UnitOfWork, client_id: int, step: BotStep) -> tuple[Client, Chat]:
    client = access_client(work.session, client_id)
    require_chat_shown(work.session)  # S1: the bot's buttons too, whatever the browser shows
    chat = work.session.exec(select(Chat).where(Chat.client_id == client.id)).first()
    if chat is None or chat.dialog_state != DialogState.bot or chat.bot_step != step:
        raise ServiceError(t("error.bot_step_passed"))
    return client, chat


def _choose_unit(work: UnitOfWork, chat: Chat, client: Client, unit_id: int) -> None:
    _client_unit(work.session, client, unit_id)
    caption = unit_caption(work.session, unit_id)[0]
    _client_says(work, chat, caption)
    _record(work, chat, "unit", unit_caption(work.session, chat.unit_id)[0], caption)
    chat.unit_id, chat.bot_step = unit_id, BotStep.choose_topic
    _bot_says(work, chat, _text(bot_settings_row(work.session).prompt_topic_text, "bot.default.prompt_topic"))


def choose_unit(*, client_id: int, unit_id: int) -> None:
    """B2: the client picked one of its units from the slider."""
    with unit_of_work() as work:
        client, chat = _bot_chat(work, client_id, BotStep.choose_unit)
        _choose_unit(work, chat, client, unit_id)
        touch(work, chat)


def choose_other(*, client_id: int, choice: str) -> None:
    """B2/B3: «Нет нужного варианта», «Покупка недвижимости» or «Другой вопрос» → B7."""
    if choice not in OTHER_CHOICES:
        raise ServiceError(t("error.not_found"))
    with unit_of_work() as work:
        client, chat = _bot_chat(work, client_id, BotStep.choose_unit)
        _client_says(work, chat, t(f"bot.choice.{choice}"))
        _transfer(work, chat, client, Topic.other)


def choose_topic(*, client_id: int, topic: str) -> None:
    """B4, B6: a topic the unit's status allows and a rule covers, then the transfer."""
    with unit_of_work() as work:
        client, chat = _bot_chat(work, client_id, BotStep.choose_topic)
        link = _client_unit(work.session, client, chat.unit_id or 0)
        allowed = topics_for(work.session, link.status)
        chosen = next((x for x in allowed if x.value == topic), None)
        if chosen is None:
            raise ServiceError(t("error.topic_unavailable"))
        _client_says(work, chat, t(f"topic.{chosen.value}"))
        _transfer(work, chat, client, chosen)


def back(*, client_id: int) -> None:
    """B5: from the topics back to the unit choice."""
    with unit_of_work() as work:
        _client, chat = _bot_chat(work, client_id, BotStep.choose_topic)
        _record(work, chat, "unit", unit_caption(work.session, chat.unit_id)[0], t("dash"), t("bot.back"))
        chat.unit_id, chat.bot_step = None, BotStep.choose_unit
        _bot_says(
            work, chat, _text(bot_settings_row(work.session).prompt_unit_text, "bot.default.prompt_unit")
        )
        touch(work, chat)


def _transfer(work: UnitOfWork, chat: Chat, client: Client, topic: Topic) -> None:
    """B6/B7: the «before transfer» text, then the responsible by the rules."""
    session = work.session
    _record(work, chat, "topic", topic_label(chat.topic), topic_label(topic))
    chat.topic = topic
    chat.consent_pending = False
    _bot_says(
        work, chat, _text(bot_settings_row(session).before_transfer_text, "bot.default.before_transfer")
    )
    decision = responsible_for(
        session, client_id=client.id or 0, topic=topic, unit_id=chat.unit_id, chat_id=chat.id
    )
    assign_responsible(
        work,
        chat,
        department_id=decision.department_id,
        employee_id=decision.employee_id,
        actor_kind=AuthorKind.bot,
        note=decision.note,
    )
    chat.dialog_state, chat.bot_step = DialogState.open, BotStep.transferred
    reassign.arm(work, chat)  # P12: the client now waits for the responsible
    schedule_inactivity(session, chat)
    touch(work, chat)


def free_text(work: UnitOfWork, chat: Chat, client: Client) -> None:
    """B7: anything typed while the bot is asking means «Другой вопрос»."""
    if chat.dialog_state == DialogState.bot:
        _transfer(work, chat, client, Topic.other)


# ---- what the app shows under the bot's question --------------------------------------------


@dataclass(frozen=True)
class UnitChoice:
    id: int
    project: str
    building: str
    number: str
    status: str


@dataclass(frozen=True)
class BotPanel:
    """The bot's buttons for the current step; ``step`` is "" when the bot is not asking."""

    step: str
    units: list[UnitChoice]
    topics: list[Option]


NO_PANEL = BotPanel("", [], [])


def bot_panel(*, client_id: int) -> BotPanel:
    with read_session() as session:
        client = access_client(session, client_id)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        if chat is None or chat.dialog_state != DialogState.bot:
            return NO_PANEL
        if chat.bot_step == BotStep.choose_unit:
            return BotPanel(BotStep.choose_unit.value, client_units(session, client.id or 0), [])
        link = session.exec(
            select(ClientUnit).where(ClientUnit.client_id == client.id, ClientUnit.unit_id == chat.unit_id)
        ).first()
        topics = topics_for(session, link.status) if link else []
        return BotPanel(chat.bot_step.value, [], [Option(x.value, t(f"topic.{x.value}")) for x in topics])


def bot_prompt(step: str) -> str:
    """The question the bot asks at ``step`` (B2, B4), as its message in the chat says it."""
    keys = {BotStep.choose_unit.value: "unit", BotStep.choose_topic.value: "topic"}
    if step not in keys:
        return ""
    with read_session() as session:
        settings = bot_settings_row(session)
    configured = settings.prompt_unit_text if keys[step] == "unit" else settings.prompt_topic_text
    return _text(configured, f"bot.default.prompt_{keys[step]}")


def client_units(session: Session, client_id: int) -> list[UnitChoice]:
    rows = session.exec(
        select(Unit, Building, Project, ClientUnit.status)
        .join(ClientUnit, col(ClientUnit.unit_id) == Unit.id)
        .join(Building, col(Building.id) == Unit.building_id)
        .join(Project, col(Project.id) == Building.project_id)
        .where(ClientUnit.client_id == client_id)
        .order_by(col(Project.name), col(Building.name), col(Unit.number))
    ).all()
    return [
        UnitChoice(unit.id or 0, project.name, building.name, f"№{unit.number}", t(f"status.{status}"))
        for unit, building, project, status in rows
    ]


# ---- B9: the durable inactivity timer ----------------------------------------------------------


def close_inactive(now: datetime | None = None) -> int:
    """Close every dialog whose client did not answer in time; returns how many.

    Called by the app's background task; a dialog that came due while the app was
    down closes on the next start. Each chat is claimed with one UPDATE first, so two
    workers never close the same dialog twice.
    """
    now = now or utcnow()
    with read_session() as session:
        due = session.exec(
            select(Chat.id).where(
                col(Chat.inactivity_due_at).is_not(None),
                col(Chat.inactivity_due_at) <= now,
                Chat.dialog_state != DialogState.closed,
            )
        ).all()
    closed = 0
    for chat_id in due:
        with unit_of_work() as work:
            claimed = work.session.exec(  # type: ignore[call-overload]
                sa.update(Chat)
                .where(col(Chat.id) == chat_id, col(Chat.inactivity_due_at) <= now)
                .values(inactivity_due_at=None)
            )
            if claimed.rowcount != 1:
                continue
            chat = work.session.get(Chat, chat_id)
            if chat is None:
                continue
            work.session.refresh(chat)
            settings = bot_settings_row(work.session)
            _record(work, chat, "dialog", t("dialog.open"), t("dialog.closed"), t("history.bot_closed"))
            report_dialogs.record_close(work.session, chat, now)  # P14: the dialog's times
            chat.dialog_state, chat.bot_step = DialogState.closed, BotStep.none
            _bot_says(
                work, chat, _text(settings.no_reply_text, "close.default.no_reply"), DialogMark.no_reply
            )
            chat.inactivity_due_at = None
            touch(work, chat)
            closed += 1
    return closed


# ---- B10: the booking, deal and acceptance cards of the simulated app -----------------------------


@dataclass(frozen=True)
class UnitCard:
    """A detail card of the client's booking, deal or acceptance."""

    id: int
    title: str
    caption: str
    chat_entry: bool  # «Связаться с нами» → «Написать в чат» here (B10)


def unit_cards(*, client_id: int) -> list[UnitCard]:
    with read_session() as session:
        client = access_client(session, client_id)
        if not client.is_authorized:
            return []
        active = _runs_for(session, client)
        configured = configured_topics(session)
        rows = session.exec(
            select(ClientUnit.unit_id, ClientUnit.status)
            .where(ClientUnit.client_id == client.id)
            .order_by(col(ClientUnit.id))
        ).all()
        return [
            UnitCard(
                id=unit_id,
                title=t(f"status.{status}"),
                caption=unit_caption(session, unit_id)[0],
                # Each card belongs to the topic of the same name.
                chat_entry=active and Topic(status.value) in configured,
            )
            for unit_id, status in rows
        ]

"""The chat-bot (B1–B9) and the assignment rules (S6, S7, B6, B7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlmodel import Session, select

from chat_crm import config, db
from chat_crm.models import (
    Acceptance,
    BotSettings,
    BotStep,
    Building,
    Chat,
    ChatChange,
    ChatSettings,
    ClientUnit,
    DialogState,
    Message,
    PartnerSettings,
    Project,
    Topic,
    TopicRule,
    TopicRuleProject,
    Unit,
    UnitStatus,
    utcnow,
)
from chat_crm.services import bot, messages
from chat_crm.services.assignment import responsible_for
from chat_crm.services.errors import ServiceError
from tests import factories


def _unit(session: Session, project: Project, number: str) -> Unit:
    building = Building(project_id=project.id or 0, name="Корпус 1")
    session.add(building)
    session.flush()
    unit = Unit(building_id=building.id or 0, number=number)
    session.add(unit)
    session.commit()
    return unit


def _rule(
    session: Session, topic: Topic, department_id: int, projects: list[Project], employee_id=None
) -> None:
    rule = TopicRule(topic=topic, department_id=department_id, employee_id=employee_id)
    session.add(rule)
    session.flush()
    for project in projects:
        session.add(TopicRuleProject(rule_id=rule.id or 0, topic=topic, project_id=project.id or 0))
    session.commit()


@pytest.fixture
def realty(session: Session, world):
    north, river = Project(name="ЖК «Север»"), Project(name="ЖК «Река»")
    session.add_all([north, river])
    session.commit()
    sales = factories.department(session, "Отдел продаж 2")
    role = factories.role(session, "Продажи")
    sellers = [
        factories.employee(
            session, f"s{i}@demo.ru", role_row=role, department_row=sales, name=f"Продавец {i}"
        )
        for i in range(3)
    ]
    units = {status: _unit(session, north, f"{n}") for n, status in enumerate(UnitStatus, start=1)}
    units["river"] = _unit(session, river, "99")
    for status in UnitStatus:
        session.add(ClientUnit(client_id=world["client"].id, unit_id=units[status].id, status=status))
    session.add(ClientUnit(client_id=world["client"].id, unit_id=units["river"].id, status=UnitStatus.deal))
    session.add(BotSettings(enabled=True, greeting_employee_id=world["manager"].id, restart_after_minutes=10))
    session.add(
        PartnerSettings(
            name="Партнёр", has_booking=True, has_deal=True, has_acceptance=True, has_mortgage=True
        )
    )
    session.commit()
    return {"north": north, "river": river, "sales": sales, "sellers": sellers, "units": units}


# ---- assignment -------------------------------------------------------------------------------


@pytest.mark.feature("S6", "B6")
def test_the_rule_covering_the_units_project_gives_its_employee(session: Session, world, realty) -> None:
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"]], realty["sellers"][1].id)
    unit = realty["units"][UnitStatus.deal]
    decision = responsible_for(session, client_id=world["client"].id, topic=Topic.deal, unit_id=unit.id)
    assert (decision.department_id, decision.employee_id) == (realty["sales"].id, realty["sellers"][1].id)


@pytest.mark.feature("S6")
def test_no_employee_means_a_random_active_one_of_the_department(session: Session, world, realty) -> None:
    realty["sellers"][2].is_active = False
    session.add(realty["sellers"][2])
    session.commit()
    _rule(session, Topic.booking, realty["sales"].id, [realty["north"]])
    unit = realty["units"][UnitStatus.booking]
    drawn = {
        responsible_for(
            session, client_id=world["client"].id, topic=Topic.booking, unit_id=unit.id
        ).employee_id
        for _ in range(200)
    }
    assert drawn == {realty["sellers"][0].id, realty["sellers"][1].id}  # both, and never the inactive one


@pytest.mark.feature("S6")
def test_an_inactive_rule_employee_is_never_assigned(session: Session, world, realty) -> None:
    inactive = realty["sellers"][0]
    inactive.is_active = False
    session.add(inactive)
    session.commit()
    _rule(session, Topic.mortgage, realty["sales"].id, [realty["north"]], inactive.id)
    unit = realty["units"][UnitStatus.booking]
    for _ in range(50):
        decision = responsible_for(
            session, client_id=world["client"].id, topic=Topic.mortgage, unit_id=unit.id
        )
        assert decision.employee_id in {realty["sellers"][1].id, realty["sellers"][2].id}


@pytest.mark.feature("S7")
def test_the_acceptance_responsible_wins_when_s7_is_on(session: Session, world, realty) -> None:
    _rule(session, Topic.acceptance, realty["sales"].id, [realty["north"]], realty["sellers"][0].id)
    unit = realty["units"][UnitStatus.acceptance]
    session.add(Acceptance(client_id=world["client"].id, unit_id=unit.id, responsible_id=world["manager"].id))
    session.commit()
    off = responsible_for(session, client_id=world["client"].id, topic=Topic.acceptance, unit_id=unit.id)
    assert off.employee_id == realty["sellers"][0].id
    settings_row = session.exec(select(BotSettings)).one()
    settings_row.acceptance_uses_unit_responsible = True
    session.add(settings_row)
    session.commit()
    on = responsible_for(session, client_id=world["client"].id, topic=Topic.acceptance, unit_id=unit.id)
    assert (on.employee_id, on.note) == (world["manager"].id, "Ответственный за приемку помещения")


@pytest.mark.feature("B6", "S4")
def test_no_matching_rule_falls_back_to_s4_and_says_why(session: Session, world, realty) -> None:
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"]])
    unit = realty["units"]["river"]
    decision = responsible_for(session, client_id=world["client"].id, topic=Topic.deal, unit_id=unit.id)
    assert (decision.department_id, decision.employee_id) == (world["dept"].id, world["manager"].id)
    assert decision.note == (
        "Нет правила для проекта ЖК «Река» в теме «Сделка»: назначен ответственный вкладки «Чат»"
    )


# ---- the dialog ---------------------------------------------------------------------------------


@pytest.mark.feature("B1", "B2", "B4", "B6", "C1", "C4")
def test_greeting_unit_topic_transfer_and_history_by_the_bot(session: Session, world, realty) -> None:
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"]], realty["sellers"][0].id)
    _rule(session, Topic.mortgage, realty["sales"].id, [realty["north"]])
    client_id = world["client"].id
    bot.enter_chat(client_id=client_id)
    first = messages.messages_for_client(client_id=client_id)
    assert [m.author_name for m in first] == ["Менеджер Мария", "Менеджер Мария"]  # the S9 employee (B1)
    panel = bot.bot_panel(client_id=client_id)
    assert panel.step == "choose_unit" and len(panel.units) == 4
    unit = realty["units"][UnitStatus.booking]
    bot.choose_unit(client_id=client_id, unit_id=unit.id)
    # Booking allows «Бронирование» and «Ипотека»; only «Ипотека» has a rule.
    assert [x.label for x in bot.bot_panel(client_id=client_id).topics] == ["Ипотека"]
    with pytest.raises(ServiceError, match="Эту тему нельзя выбрать"):
        bot.choose_topic(client_id=client_id, topic="deal")
    bot.back(client_id=client_id)
    bot.choose_unit(client_id=client_id, unit_id=realty["units"][UnitStatus.deal].id)
    bot.choose_topic(client_id=client_id, topic="deal")
    session.expire_all()
    chat = session.exec(select(Chat)).one()
    assert (chat.dialog_state, chat.topic, chat.responsible_id) == (
        DialogState.open,
        Topic.deal,
        realty["sellers"][0].id,
    )
    history = session.exec(select(ChatChange).where(ChatChange.field.in_(["topic", "responsible"]))).all()
    assert {h.actor_kind.value for h in history} == {"bot"}
    assert bot.bot_panel(client_id=client_id).step == ""


@pytest.mark.feature("B7")
@pytest.mark.parametrize("how", ["no_unit", "free_text"])
def test_no_unit_or_free_text_means_other_question_and_s4(session: Session, world, realty, how: str) -> None:
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"]], realty["sellers"][0].id)
    client_id = world["client"].id
    bot.enter_chat(client_id=client_id)
    if how == "no_unit":
        bot.choose_other(client_id=client_id, choice="no_unit")
    else:
        messages.send_client_message(
            client_id=client_id, text="Хочу узнать про парковку", client_msg_id="free-0001"
        )
    session.expire_all()
    chat = session.exec(select(Chat)).one()
    assert (chat.topic, chat.responsible_id, chat.dialog_state) == (
        Topic.other,
        world["manager"].id,
        DialogState.open,
    )


@pytest.mark.feature("B8")
def test_anonymous_visitors_and_a_bot_without_topics_get_the_basic_scenario(session: Session, world) -> None:
    session.add(BotSettings(enabled=True))
    session.commit()
    bot.enter_chat(client_id=world["client"].id)  # no topic configured: no bot
    anonymous = factories.client(session, authorized=False)
    bot.enter_chat(client_id=anonymous.id)
    assert session.exec(select(Message)).all() == []


@pytest.mark.feature("B9")
def test_silence_closes_the_dialog_once_and_the_next_entry_greets_again(
    session: Session, world, realty
) -> None:
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"]])
    client_id = world["client"].id
    bot.enter_chat(client_id=client_id)
    session.expire_all()
    chat = session.exec(select(Chat)).one()
    assert chat.inactivity_due_at is not None
    assert bot.close_inactive(now=utcnow()) == 0  # not yet
    later = chat.inactivity_due_at + timedelta(seconds=1)  # the clock is the only fake
    assert bot.close_inactive(now=later) == 1
    assert bot.close_inactive(now=later) == 0  # never twice
    session.expire_all()
    assert session.get(Chat, chat.id).dialog_state == DialogState.closed
    bot.enter_chat(client_id=client_id)
    session.expire_all()
    assert session.get(Chat, chat.id).bot_step == BotStep.choose_unit
    greetings = [m for m in messages.messages_for_client(client_id=client_id) if "Здравствуйте" in m.text]
    assert len(greetings) == 2


# ---- any sequence of taps ends in a valid state (B2–B7) -------------------------------------------


class BotDialog(RuleBasedStateMachine):
    """Taps, «Назад» and free text in any order: the bot never offers a topic B4 forbids."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    @initialize()
    def setup(self) -> None:
        with Session(db.get_engine()) as session:
            self.client_id = session.exec(select(ClientUnit.client_id)).first()
            self.unit_ids = list(session.exec(select(ClientUnit.unit_id)).all())
            # Each example starts from a closed dialog, as a new entry into the chat.
            for chat in session.exec(select(Chat)).all():
                chat.dialog_state, chat.bot_step = DialogState.closed, BotStep.none
                session.add(chat)
            session.commit()
        bot.enter_chat(client_id=self.client_id)

    def _try(self, step) -> None:  # type: ignore[no-untyped-def]
        try:
            step()
        except ServiceError:
            pass  # a tap on a step already passed is refused; the state must still be valid

    @rule(index=st.integers(0, 3))
    def tap_unit(self, index: int) -> None:
        self._try(lambda: bot.choose_unit(client_id=self.client_id, unit_id=self.unit_ids[index]))

    @rule(choice=st.sampled_from(bot.OTHER_CHOICES))
    def tap_other(self, choice: str) -> None:
        self._try(lambda: bot.choose_other(client_id=self.client_id, choice=choice))

    @rule(topic=st.sampled_from([t.value for t in Topic]))
    def tap_topic(self, topic: str) -> None:
        self._try(lambda: bot.choose_topic(client_id=self.client_id, topic=topic))

    @rule()
    def tap_back(self) -> None:
        self._try(lambda: bot.back(client_id=self.client_id))

    @rule()
    def type_text(self) -> None:
        self.sent += 1
        messages.send_client_message(
            client_id=self.client_id, text="Вопрос", client_msg_id=f"sm-{self.sent:06d}"
        )

    @rule()
    def reenter(self) -> None:
        bot.enter_chat(client_id=self.client_id)

    @invariant()
    def valid(self) -> None:
        with Session(db.get_engine()) as session:
            chat = session.exec(select(Chat).where(Chat.client_id == self.client_id)).one()
            configured = bot.configured_topics(session)
            panel = bot.bot_panel(client_id=self.client_id)
            if chat.dialog_state == DialogState.bot:
                assert chat.bot_step in (BotStep.choose_unit, BotStep.choose_topic)
                assert panel.step == chat.bot_step.value
            else:
                assert chat.dialog_state == DialogState.open and panel.step == ""
                assert chat.topic is not None and chat.responsible_id is not None
            if chat.bot_step == BotStep.choose_topic and chat.dialog_state == DialogState.bot:
                status = session.exec(
                    select(ClientUnit.status).where(
                        ClientUnit.client_id == self.client_id, ClientUnit.unit_id == chat.unit_id
                    )
                ).one()
                offered = {Topic(x.value) for x in panel.topics}
                assert offered <= set(bot.TOPICS_BY_STATUS[status]) & configured


@pytest.mark.feature("B2", "B3", "B4", "B5", "B7")
def test_any_sequence_of_taps_back_and_text_stays_valid(
    session: Session, world, realty, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hundreds of steps of one client within seconds: the message rate limit is not under test here.
    monkeypatch.setenv("MESSAGE_RATE_LIMIT", "0")
    config.reload_settings()
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"], realty["river"]])
    _rule(session, Topic.acceptance, realty["sales"].id, [realty["north"]])
    BotDialog.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    BotDialog.TestCase().runTest()


@pytest.mark.feature("S1")
def test_with_the_chat_off_the_storefront_the_bots_buttons_change_nothing(
    session: Session, world, realty
) -> None:
    _rule(session, Topic.deal, realty["sales"].id, [realty["north"]], realty["sellers"][0].id)
    client_id = world["client"].id
    bot.enter_chat(client_id=client_id)
    before = len(messages.messages_for_client(client_id=client_id))
    row = session.exec(select(ChatSettings)).one()
    row.show_in_storefront = False
    session.add(row)
    session.commit()
    unit = realty["units"][UnitStatus.deal]
    for tap in (
        lambda: bot.enter_chat(client_id=client_id),
        lambda: bot.choose_unit(client_id=client_id, unit_id=unit.id),
        lambda: bot.choose_other(client_id=client_id, choice="other"),
    ):
        with pytest.raises(ServiceError, match="Чат сейчас недоступен"):
            tap()
    session.expire_all()
    assert len(messages.messages_for_client(client_id=client_id)) == before
    assert session.exec(select(Chat)).one().bot_step == BotStep.choose_unit

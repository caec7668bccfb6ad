"""Tab «Чат-бот» of «Поддержка» → «Настройки» (S5–S11): limits, rules and rights, on the server."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from chat_crm.models import BotSettings, PartnerSettings, Project, Topic, TopicRule, TopicRuleProject
from chat_crm.services import bot_settings as bot
from chat_crm.services import topic_rules as rules
from chat_crm.services.access import Permission
from chat_crm.services.errors import Forbidden, NotFound, ServiceError
from tests import factories

_chars = st.characters(blacklist_categories=("Cs", "Cc"))
# The database persists between Hypothesis examples: each example states the whole form, and
# "unchanged" is checked against a snapshot taken inside the example.
_db_examples = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    session.add(
        PartnerSettings(name="ГК", has_booking=True, has_deal=True, has_acceptance=True, has_mortgage=True)
    )
    sales = factories.department(session, "Отдел продаж")
    care = factories.department(session, "Служба заботы о клиентах")
    admin_role = factories.role(session, "Администратор")
    operator_role = factories.role(session, "Оператор", [Permission.support_chat])
    admin = factories.employee(session, "a@demo.ru", role_row=admin_role, department_row=care, name="Анна")
    seller = factories.employee(session, "s@demo.ru", role_row=admin_role, department_row=sales, name="Борис")
    gone = factories.employee(
        session, "g@demo.ru", role_row=admin_role, department_row=sales, active=False, name="Галина"
    )
    operator = factories.employee(session, "o@demo.ru", role_row=operator_role, department_row=care)
    north, river = Project(name="ЖК «Северный парк»"), Project(name="Речной квартал")
    session.add_all([north, river])
    session.commit()
    return {
        "sales": sales,
        "care": care,
        "admin": admin,
        "seller": seller,
        "gone": gone,
        "operator": operator,
        "north": north,
        "river": river,
    }


def _form(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "employee_id": world["admin"].id,
        "enabled": False,
        "greeting_employee_id": world["admin"].id,
        "greeting_text": "Здравствуйте!",
        "prompt_unit_text": "Выберите помещение",
        "prompt_topic_text": "Выберите тему",
        "before_transfer_text": "Передаю сотруднику",
        "resolved_text": "Рады помочь",
        "no_reply_text": "Закрываем диалог",
        "restart_value": "1",
        "restart_unit": "days",
        "acceptance_uses_unit_responsible": False,
    }
    return {**form, **changes}


def _stored(session: Session) -> tuple[Any, ...]:
    session.expire_all()  # the service wrote through its own session: read what is committed
    settings_rows = tuple(r.model_dump() for r in session.exec(select(BotSettings)).all())
    rules = tuple(
        (r.topic, r.department_id, r.employee_id, r.position) for r in session.exec(select(TopicRule)).all()
    )
    projects = tuple((p.topic, p.project_id) for p in session.exec(select(TopicRuleProject)).all())
    return settings_rows, rules, projects


def _refused(session: Session, call: Any, field: str, message: str) -> None:
    before = _stored(session)
    with pytest.raises(ServiceError) as caught:
        call()
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _stored(session) == before


def _rule(projects: list[Any], department: Any, employee: Any = None) -> rules.RuleInput:
    return rules.RuleInput(
        project_ids=[p.id for p in projects],
        department_id=department.id if department else None,
        employee_id=employee.id if employee else None,
    )


def _save_rules(world: dict[str, Any], topic: str, *given: rules.RuleInput) -> list[bot.TopicSummary]:
    return rules.save_topic_rules(employee_id=world["admin"].id, topic=topic, rules=list(given))


# ---- S11: every text ≤ 255, stripped, on the server ---------------------------------------------


@pytest.mark.feature("S9", "S10", "S11")
@_db_examples
@given(
    field=st.sampled_from(bot.TEXT_FIELDS),
    text=st.text(_chars, max_size=255),
    pad=st.sampled_from(["", " \n"]),
)
def test_any_text_within_255_characters_is_saved_stripped(
    session: Session, world: dict[str, Any], field: str, text: str, pad: str
) -> None:
    view = bot.save_bot_settings(**_form(world, **{field: pad + text + pad}))
    assert getattr(view, field) == text.strip()
    session.expire_all()
    assert getattr(session.exec(select(BotSettings)).one(), field) == text.strip()


@pytest.mark.feature("S11")
@_db_examples
@given(field=st.sampled_from(bot.TEXT_FIELDS), text=st.text(_chars, min_size=256, max_size=400))
def test_a_text_over_255_characters_is_refused_on_its_field_and_nothing_is_written(
    session: Session, world: dict[str, Any], field: str, text: str
) -> None:
    n = len(text.strip())
    assume(n > 255)
    bot.save_bot_settings(**_form(world))  # a row exists, so "unchanged" means something
    _refused(
        session,
        lambda: bot.save_bot_settings(**_form(world, restart_value="2", **{field: text})),
        field,
        f"Не больше 255 символов (сейчас {n})",
    )


@pytest.mark.feature("S11")
def test_the_limit_is_exact_at_the_boundary(session: Session, world: dict[str, Any]) -> None:
    bot.save_bot_settings(**_form(world, greeting_text="я" * 255))
    _refused(
        session,
        lambda: bot.save_bot_settings(**_form(world, greeting_text="я" * 256)),
        "greeting_text",
        "Не больше 255 символов (сейчас 256)",
    )


# ---- S10: «Повторный запуск» --------------------------------------------------------------------


@pytest.mark.feature("S10")
@pytest.mark.parametrize(
    ("value", "unit", "minutes", "shown"),
    [
        ("45", "minutes", 45, ("45", "minutes")),
        ("90", "minutes", 90, ("90", "minutes")),
        ("120", "minutes", 120, ("2", "hours")),
        (" 3 ", "hours", 180, ("3", "hours")),
        ("48", "hours", 2880, ("2", "days")),
        ("30", "days", 43_200, ("30", "days")),
        ("720", "hours", 43_200, ("30", "days")),
    ],
)
def test_restart_is_stored_in_minutes_and_shown_in_the_largest_exact_unit(
    session: Session, world: dict[str, Any], value: str, unit: str, minutes: int, shown: tuple[str, str]
) -> None:
    view = bot.save_bot_settings(**_form(world, restart_value=value, restart_unit=unit))
    session.expire_all()
    assert session.exec(select(BotSettings)).one().restart_after_minutes == minutes
    assert (view.restart_value, view.restart_unit) == shown


@pytest.mark.feature("S10")
@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        ("0", "minutes", "Укажите целое число больше нуля"),
        ("", "hours", "Укажите целое число больше нуля"),
        ("-5", "minutes", "Укажите целое число больше нуля"),
        ("1.5", "hours", "Укажите целое число больше нуля"),
        ("два", "days", "Укажите целое число больше нуля"),
        ("٣", "days", "Укажите целое число больше нуля"),  # int() would take Arabic-Indic digits
        ("5", "weeks", "Укажите целое число больше нуля"),
        ("31", "days", "Не больше 30 дней"),
        ("721", "hours", "Не больше 30 дней"),
        ("43201", "minutes", "Не больше 30 дней"),
        ("9999999999999", "days", "Укажите целое число больше нуля"),
    ],
)
def test_restart_must_be_a_whole_positive_number_of_at_most_30_days(
    session: Session, world: dict[str, Any], value: str, unit: str, message: str
) -> None:
    bot.save_bot_settings(**_form(world))
    _refused(
        session,
        lambda: bot.save_bot_settings(**_form(world, restart_value=value, restart_unit=unit)),
        "restart",
        message,
    )


# ---- S8: on only with a configured topic ---------------------------------------------------------


@pytest.mark.feature("S8")
def test_the_bot_cannot_be_switched_on_before_a_topic_has_a_rule(
    session: Session, world: dict[str, Any]
) -> None:
    bot.save_bot_settings(**_form(world))
    _refused(
        session,
        lambda: bot.save_bot_settings(**_form(world, enabled=True)),
        "enabled",
        "Настройте хотя бы одну тему, чтобы включить чат-бота",
    )
    _save_rules(world, "mortgage", _rule([world["north"]], world["sales"]))
    view = bot.save_bot_settings(**_form(world, enabled=True))
    assert view.enabled
    session.expire_all()
    assert session.exec(select(BotSettings)).one().enabled


@pytest.mark.feature("S6", "S9", "S10", "S7")
def test_a_valid_form_writes_every_field_and_creates_the_row_when_absent(
    session: Session, world: dict[str, Any]
) -> None:
    assert session.exec(select(BotSettings)).first() is None
    bot.save_bot_settings(
        **_form(world, greeting_employee_id=world["seller"].id, acceptance_uses_unit_responsible=True)
    )
    session.expire_all()
    row = session.exec(select(BotSettings)).one()
    assert (row.greeting_employee_id, row.acceptance_uses_unit_responsible) == (world["seller"].id, True)
    assert (row.greeting_text, row.no_reply_text, row.restart_after_minutes) == (
        "Здравствуйте!",
        "Закрываем диалог",
        1440,
    )


@pytest.mark.feature("S9")
def test_the_greeting_sender_must_be_an_active_employee(session: Session, world: dict[str, Any]) -> None:
    for who in (world["gone"].id, 999_999):
        _refused(
            session,
            lambda who=who: bot.save_bot_settings(**_form(world, greeting_employee_id=who)),
            "greeting_employee",
            "Этот сотрудник не работает или отключен",
        )
    view = bot.read_bot_settings(employee_id=world["admin"].id)
    assert [o.label for o in view.employees] == ["Анна", "Борис", "Сотрудник o@demo.ru"]


# ---- S6: topic rules -------------------------------------------------------------------------------


@pytest.mark.feature("S6")
def test_rules_are_saved_replaced_and_summarised(session: Session, world: dict[str, Any]) -> None:
    view = bot.read_bot_settings(employee_id=world["admin"].id)
    assert [(s.label, s.summary) for s in view.topics] == [
        ("Сделка", "Не настроено"),
        ("Бронирование", "Не настроено"),
        ("Приемка", "Не настроено"),
        ("Ипотека", "Не настроено"),
    ]
    assert view.topics[3].edit_label == "Изменить правила: Ипотека"
    topics = _save_rules(
        world,
        "mortgage",
        _rule([world["north"]], world["sales"], world["seller"]),
        _rule([world["river"]], world["care"]),
    )
    assert [s.summary for s in topics] == ["Не настроено", "Не настроено", "Не настроено", "2 правила"]
    rows = rules.topic_rules(employee_id=world["admin"].id, topic="mortgage")
    assert [(r.project_ids, r.department_id, r.employee_id) for r in rows] == [
        ([world["north"].id], world["sales"].id, world["seller"].id),
        ([world["river"].id], world["care"].id, None),
    ]
    assert [o.label for o in rows[0].employees] == ["Борис"]  # the inactive Галина is not offered
    # Saving replaces: one rule with both projects, then none at all.
    topics = _save_rules(world, "mortgage", _rule([world["north"], world["river"]], world["care"]))
    assert topics[3].summary == "1 правило"
    assert _save_rules(world, "mortgage")[3].summary == "Не настроено"
    assert _stored(session)[1:] == ((), ())


@pytest.mark.feature("S6")
def test_a_project_in_two_rules_of_one_topic_is_refused_with_its_name(
    session: Session, world: dict[str, Any]
) -> None:
    _save_rules(world, "deal", _rule([world["river"]], world["care"]))
    _refused(
        session,
        lambda: _save_rules(
            world,
            "deal",
            _rule([world["north"]], world["sales"]),
            _rule([world["river"], world["north"]], world["care"]),
        ),
        "rule-2.projects",
        "Проект ЖК «Северный парк» уже есть в другом правиле этой темы",
    )
    _refused(
        session,
        lambda: _save_rules(
            world, "deal", _rule([world["river"]], world["sales"]), _rule([world["river"]], world["care"])
        ),
        "rule-2.projects",
        "Проект «Речной квартал» уже есть в другом правиле этой темы",
    )


@pytest.mark.feature("S6")
def test_the_same_project_in_rules_of_different_topics_is_allowed(
    session: Session, world: dict[str, Any]
) -> None:
    for topic in ("deal", "booking", "acceptance", "mortgage"):
        _save_rules(world, topic, _rule([world["north"]], world["sales"]))
    assert len(_stored(session)[2]) == 4
    # The same project twice in one rule means it once, not a broken unique index.
    _save_rules(world, "deal", rules.RuleInput([world["river"].id] * 2, world["care"].id, None))
    stored = rules.topic_rules(employee_id=world["admin"].id, topic="deal")
    assert stored[0].project_ids == [world["river"].id]


@pytest.mark.feature("S6")
def test_each_rule_needs_projects_and_a_department_and_its_employee_from_that_department(
    session: Session, world: dict[str, Any]
) -> None:
    ok = _rule([world["north"]], world["sales"])
    cases = [
        (_rule([], world["sales"]), "rule-2.projects", "Выберите хотя бы один проект"),
        (rules.RuleInput([999_999], world["sales"].id, None), "rule-2.projects", "Такого проекта нет"),
        (_rule([world["river"]], None), "rule-2.department", "Выберите подразделение"),
        (
            rules.RuleInput([world["river"].id], 999_999, None),
            "rule-2.department",
            "Такого подразделения нет",
        ),
        (
            _rule([world["river"]], world["care"], world["seller"]),  # Борис works in sales
            "rule-2.employee",
            "Этот сотрудник не работает в выбранном подразделении",
        ),
        (
            _rule([world["river"]], world["sales"], world["gone"]),  # inactive
            "rule-2.employee",
            "Этот сотрудник не работает в выбранном подразделении",
        ),
    ]
    for bad, field, message in cases:
        _refused(session, lambda bad=bad: _save_rules(world, "booking", ok, bad), field, message)


@pytest.mark.feature("S6")
def test_an_unknown_topic_is_not_found(world: dict[str, Any]) -> None:
    for topic in ("other", "nonsense"):
        with pytest.raises(NotFound):
            rules.topic_rules(employee_id=world["admin"].id, topic=topic)
        with pytest.raises(NotFound):
            _save_rules(world, topic, _rule([world["north"]], world["sales"]))


# ---- S5 and rights -----------------------------------------------------------------------------------


@pytest.mark.feature("S5")
def test_the_tab_exists_only_with_one_of_the_four_products(session: Session, world: dict[str, Any]) -> None:
    admin = world["admin"].id
    partner = session.exec(select(PartnerSettings)).one()
    assert bot.bot_tab_available(session) and bot.bot_tab_available_for(employee_id=admin)
    partner.has_booking = partner.has_deal = partner.has_acceptance = partner.has_mortgage = False
    session.add(partner)
    session.commit()
    assert not bot.bot_tab_available(session)
    assert not bot.bot_tab_available_for(employee_id=admin)
    message = "Чат-бот доступен при покупке продукта «Сделка», «Приемка», «Бронирование» или «Ипотека»"
    with pytest.raises(NotFound, match=message):
        bot.read_bot_settings(employee_id=admin)
    _refused(session, lambda: bot.save_bot_settings(**_form(world)), "", message)
    # One product: the tab is back, with that product's topic only.
    partner.has_mortgage = True
    session.add(partner)
    session.commit()
    assert bot.bot_topics(session) == (Topic.mortgage,)
    assert [s.label for s in bot.read_bot_settings(employee_id=admin).topics] == ["Ипотека"]
    with pytest.raises(NotFound):
        _save_rules(world, "deal", _rule([world["north"]], world["sales"]))


@pytest.mark.feature("S5")
def test_no_partner_row_means_no_tab(session: Session) -> None:
    assert not bot.bot_tab_available(session)


@pytest.mark.feature("A2")
def test_a_role_without_the_settings_right_can_neither_read_nor_save(
    session: Session, world: dict[str, Any]
) -> None:
    operator = world["operator"].id
    before = _stored(session)
    calls = [
        lambda: bot.bot_tab_available_for(employee_id=operator),
        lambda: bot.read_bot_settings(employee_id=operator),
        lambda: rules.topic_rules(employee_id=operator, topic="deal"),
        lambda: rules.rule_employees(employee_id=operator, department_id=world["sales"].id),
        lambda: bot.save_bot_settings(**_form(world, employee_id=operator)),
        lambda: rules.save_topic_rules(
            employee_id=operator, topic="deal", rules=[_rule([world["north"]], world["sales"])]
        ),
    ]
    for call in calls:
        with pytest.raises(Forbidden, match="Недостаточно прав"):
            call()
    assert _stored(session) == before

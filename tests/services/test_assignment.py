"""Nobody is handed a chat they cannot answer: S4, S6, S7, the bot and the basic scenario pick only
active employees of the department whose role has «Чат: Отправка сообщений»."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from chat_crm.models import (
    Acceptance,
    BotSettings,
    Building,
    Chat,
    ChatSettings,
    ClientUnit,
    Employee,
    Project,
    Role,
    StaffNotification,
    Topic,
    TopicRule,
    TopicRuleProject,
    Unit,
    UnitStatus,
)
from chat_crm.services import messages
from chat_crm.services.access import Permission
from chat_crm.services.assignment import (
    default_responsible,
    eligible_employees,
    may_answer,
    responsible_for,
)
from tests import factories

_ids = itertools.count(1)


def _staff(session: Session, dept, shapes: list[tuple[bool, bool]]) -> list[Employee]:
    """One employee per (active, may write) shape, in ``dept``."""
    writer = factories.role(session, f"Пишет {next(_ids)}", [Permission.support_chat, Permission.chat_send])
    reader = factories.role(session, f"Читает {next(_ids)}", [Permission.support_chat])
    return [
        factories.employee(
            session,
            f"e{next(_ids)}@demo.ru",
            role_row=writer if may_write else reader,
            department_row=dept,
            active=active,
        )
        for active, may_write in shapes
    ]


def _answers(session: Session, employee: Employee) -> bool:
    role = session.get(Role, employee.role_id)
    return employee.is_active and Permission.chat_send.value in role.permissions


def test_only_active_employees_who_may_write_are_eligible(session: Session, world) -> None:
    other = factories.department(session, "Другой отдел")
    inactive, reader, writer = _staff(session, world["dept"], [(False, True), (True, False), (True, True)])
    elsewhere = _staff(session, other, [(True, True)])[0]
    eligible = {e.id for e in eligible_employees(session, world["dept"].id)}
    assert eligible == {world["manager"].id, writer.id}
    assert not may_answer(session, world["operator"], world["dept"].id)
    assert not may_answer(session, inactive, world["dept"].id)
    assert not may_answer(session, elsewhere, world["dept"].id)
    assert may_answer(session, elsewhere, other.id)
    assert eligible_employees(session, None) == []
    assert reader.id not in eligible


@pytest.mark.feature("S4", "B8")
def test_an_s4_employee_who_may_not_write_is_replaced_by_one_who_may(session: Session, world) -> None:
    row = session.exec(select(ChatSettings)).one()
    row.employee_id = world["operator"].id
    session.add(row)
    session.commit()
    picks = {default_responsible(session)[1] for _ in range(30)}
    assert picks == {world["manager"].id}


@pytest.mark.feature("B8")
def test_the_basic_scenario_never_hands_a_chat_to_an_operator(session: Session, world) -> None:
    """The demo's bug: «Сотрудник» empty, a department of readers and one writer."""
    row = session.exec(select(ChatSettings)).one()
    row.employee_id = None
    session.add(row)
    session.commit()
    _staff(session, world["dept"], [(True, False), (True, False), (False, True)])
    for i in range(12):
        client = factories.client(session, f"Клиент {i}")
        messages.send_client_message(client_id=client.id, text="Здравствуйте", client_msg_id=f"first-key-{i}")
    assert set(session.exec(select(Chat.responsible_id)).all()) == {world["manager"].id}
    told = set(session.exec(select(StaffNotification.employee_id)).all())
    assert told == {world["manager"].id}  # nobody else is told «Вас назначили ответственным…»


@pytest.mark.feature("S4")
def test_a_department_with_nobody_who_may_write_leaves_the_chat_unassigned(session: Session, world) -> None:
    readers = factories.department(session, "Только чтение")
    _staff(session, readers, [(True, False), (False, True)])
    row = session.exec(select(ChatSettings)).one()
    row.department_id, row.employee_id = readers.id, None
    session.add(row)
    session.commit()
    assert default_responsible(session) == (readers.id, None)


def _unit_of(session: Session, client_id: int, status: UnitStatus) -> tuple[Project, Unit]:
    project = Project(name=f"ЖК {next(_ids)}")
    session.add(project)
    session.flush()
    building = Building(project_id=project.id or 0, name="Корпус 1")
    session.add(building)
    session.flush()
    unit = Unit(building_id=building.id or 0, number=str(next(_ids)))
    session.add(unit)
    session.flush()
    session.add(ClientUnit(client_id=client_id, unit_id=unit.id or 0, status=status))
    session.commit()
    return project, unit


@pytest.mark.feature("S6", "S7", "B6")
def test_rules_and_the_acceptance_responsible_skip_who_may_not_write(session: Session, world) -> None:
    project, unit = _unit_of(session, world["client"].id, UnitStatus.acceptance)
    sales = factories.department(session, "Продажи")
    reader, writer = _staff(session, sales, [(True, False), (True, True)])
    rule = TopicRule(topic=Topic.acceptance, department_id=sales.id or 0, employee_id=reader.id)
    session.add(rule)
    session.flush()
    session.add(TopicRuleProject(rule_id=rule.id or 0, topic=Topic.acceptance, project_id=project.id or 0))
    session.add(Acceptance(client_id=world["client"].id, unit_id=unit.id or 0, responsible_id=reader.id))
    session.add(BotSettings(enabled=True, acceptance_uses_unit_responsible=True))
    session.commit()
    for _ in range(20):
        decision = responsible_for(
            session, client_id=world["client"].id, topic=Topic.acceptance, unit_id=unit.id
        )
        assert (decision.department_id, decision.employee_id) == (sales.id, writer.id)


shapes = st.lists(st.tuples(st.booleans(), st.booleans()), min_size=0, max_size=6)


@given(staff=shapes, s4_pick=st.integers(min_value=-1, max_value=5), rule_pick=st.integers(-1, 5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_automatic_pick_may_answer(session: Session, world, staff, s4_pick, rule_pick) -> None:
    """Whatever the staff and the settings, S4 and the S6 rules hand a chat only to who may answer."""
    dept = factories.department(session, f"Отдел {next(_ids)}")
    people = _staff(session, dept, staff)
    row = session.exec(select(ChatSettings)).one()
    row.department_id = dept.id
    row.employee_id = people[s4_pick].id if 0 <= s4_pick < len(people) else None
    session.add(row)
    project, unit = _unit_of(session, world["client"].id, UnitStatus.deal)
    rule = TopicRule(
        topic=Topic.deal,
        department_id=dept.id or 0,
        employee_id=people[rule_pick].id if 0 <= rule_pick < len(people) else None,
    )
    session.add(rule)
    session.flush()
    session.add(TopicRuleProject(rule_id=rule.id or 0, topic=Topic.deal, project_id=project.id or 0))
    session.commit()
    answering = {e.id for e in people if _answers(session, e)}
    for _ in range(5):
        _dept, s4 = default_responsible(session)
        by_rule = responsible_for(session, client_id=world["client"].id, topic=Topic.deal, unit_id=unit.id)
        assert s4 in answering or (s4 is None and not answering)
        assert by_rule.employee_id in answering or (by_rule.employee_id is None and not answering)


@pytest.mark.feature("S4", "S6")
def test_the_settings_refuse_an_employee_who_may_not_write(session: Session, world) -> None:
    from chat_crm.services.errors import ServiceError
    from chat_crm.services.settings import check_chat_settings, employees_of_department_in

    offered = {o.value for o in employees_of_department_in(session, world["dept"].id)}
    assert offered == {str(world["manager"].id)}
    with pytest.raises(ServiceError, match="нет права «Чат: Отправка сообщений»") as refused:
        check_chat_settings(
            session,
            show_in_storefront=True,
            consent_notice=True,
            welcome_title="",
            welcome_text="",
            department_id=world["dept"].id,
            employee_id_choice=world["operator"].id,
        )
    assert refused.value.field == "employee"

"""Canned replies (P13): who sees and changes which template, placeholders filled on the server,
and every field checked whatever the browser sent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from chat_crm.models import Building, CannedReply, Chat, Client, Project, Unit
from chat_crm.services import canned_replies as canned
from chat_crm.services.access import Permission
from chat_crm.services.canned_replies import PERSONAL, CannedReplyInput
from chat_crm.services.errors import Forbidden, NotFound, ServiceError
from chat_crm.services.messages import MAX_TEXT
from tests import factories

pytestmark = pytest.mark.feature("P13")


@pytest.fixture
def org(session: Session, world):
    """The world (manager and operator of one department, no settings right) plus a settings
    holder of the same department, and a writer of a second department."""
    settings_role = factories.role(
        session, "Руководитель", [Permission.support_chat, Permission.chat_send, Permission.support_settings]
    )
    boss = factories.employee(
        session, "boss@demo.ru", role_row=settings_role, department_row=world["dept"], name="Смирнова Анна"
    )
    other_dept = factories.department(session, "Отдел сопровождения")
    writer = factories.role(session, "Продажи", [Permission.support_chat, Permission.chat_send])
    stranger = factories.employee(session, "s@demo.ru", role_row=writer, department_row=other_dept)
    return {**world, "boss": boss, "other_dept": other_dept, "stranger": stranger}


def _new(employee_id: int | None, title: str, text: str = "Текст", scope: str = PERSONAL) -> int:
    return canned.create_reply(
        employee_id=employee_id, data=CannedReplyInput(title=title, text=text, scope=scope)
    ).id


def _titles(employee_id: int | None, search: str = "") -> list[str]:
    return [v.title for v in canned.list_replies(employee_id=employee_id, search=search)]


def _chat(session: Session, client: Client, number: int = 17, with_unit: bool = False) -> Chat:
    unit_id = None
    if with_unit:
        project = Project(name="ЖК «Северный парк»")
        session.add(project)
        session.flush()
        building = Building(project_id=project.id or 0, name="Корпус 2")
        session.add(building)
        session.flush()
        unit = Unit(building_id=building.id or 0, number="45")
        session.add(unit)
        session.flush()
        unit_id = unit.id
    chat = Chat(number=number, client_id=client.id or 0, unit_id=unit_id)
    session.add(chat)
    session.commit()
    return chat


# ---- scopes and rights ----------------------------------------------------------------------


def test_an_employee_sees_their_own_and_their_departments_templates_only(session, org) -> None:
    dept, other = str(org["dept"].id), str(org["other_dept"].id)
    _new(org["boss"].id, "Привет отдела", scope=dept)
    _new(org["boss"].id, "Чужой отдел", scope=other)
    _new(org["boss"].id, "Личный руководителя")
    _new(org["manager"].id, "Личный менеджера")
    _new(org["operator"].id, "Личный оператора")

    assert _titles(org["manager"].id) == ["Личный менеджера", "Привет отдела"]
    assert _titles(org["operator"].id) == ["Личный оператора", "Привет отдела"]
    assert _titles(org["stranger"].id) == ["Чужой отдел"]
    # The settings page manages every department's templates, never another's personal one.
    assert _titles(org["boss"].id) == ["Личный руководителя", "Привет отдела", "Чужой отдел"]


def test_the_composer_list_holds_personal_and_own_department_templates_even_for_a_settings_holder(
    session, org
) -> None:
    chat = _chat(session, org["client"])
    _new(org["boss"].id, "Привет отдела", scope=str(org["dept"].id))
    _new(org["boss"].id, "Чужой отдел", scope=str(org["other_dept"].id))
    _new(org["manager"].id, "Личный менеджера")
    for who, expected in (
        ("boss", ["Привет отдела"]),
        ("manager", ["Личный менеджера", "Привет отдела"]),
        ("stranger", ["Чужой отдел"]),
    ):
        choices = canned.replies_for_chat(employee_id=org[who].id, chat_id=chat.id or 0)
        assert [c.title for c in choices] == expected


def test_another_employees_personal_template_cannot_be_read_changed_or_deleted(session, org) -> None:
    chat = _chat(session, org["client"])
    mine = _new(org["manager"].id, "Мой", "Секрет менеджера")
    edit = CannedReplyInput(title="Взлом", text="x", scope=PERSONAL)
    for who in ("operator", "boss", "stranger"):
        employee_id = org[who].id
        with pytest.raises(NotFound):
            canned.update_reply(employee_id=employee_id, reply_id=mine, data=edit)
        with pytest.raises(NotFound):
            canned.delete_reply(employee_id=employee_id, reply_id=mine)
        with pytest.raises(NotFound):
            canned.render(employee_id=employee_id, reply_id=mine, chat_id=chat.id or 0)
    session.expire_all()
    assert session.get(CannedReply, mine).text == "Секрет менеджера"


def test_department_templates_need_the_settings_right(session, org) -> None:
    dept = str(org["dept"].id)
    with pytest.raises(ServiceError) as err:
        _new(org["manager"].id, "Отдел", scope=dept)
    assert err.value.field == "scope"
    shared = _new(org["boss"].id, "Отдел", scope=dept)
    edit = CannedReplyInput(title="Отдел", text="Новый текст", scope=dept)
    with pytest.raises(Forbidden):
        canned.update_reply(employee_id=org["manager"].id, reply_id=shared, data=edit)
    with pytest.raises(Forbidden):
        canned.delete_reply(employee_id=org["manager"].id, reply_id=shared)
    with pytest.raises(NotFound):  # another department's: not even known to exist
        canned.delete_reply(employee_id=org["stranger"].id, reply_id=shared)
    canned.update_reply(employee_id=org["boss"].id, reply_id=shared, data=edit)
    canned.delete_reply(employee_id=org["boss"].id, reply_id=shared)
    assert session.exec(select(CannedReply)).all() == []


def test_the_owner_edits_and_deletes_a_personal_template(session, org) -> None:
    mine = _new(org["operator"].id, "Жду", "Жду ответа")
    view = canned.update_reply(
        employee_id=org["operator"].id,
        reply_id=mine,
        data=CannedReplyInput(title="Ожидание", text="Жду вашего ответа", scope=PERSONAL),
    )
    assert (view.title, view.text, view.scope_label) == ("Ожидание", "Жду вашего ответа", "Личный")
    canned.delete_reply(employee_id=org["operator"].id, reply_id=mine)
    assert _titles(org["operator"].id) == []


def test_scope_options_offer_departments_only_to_a_settings_holder(session, org) -> None:
    assert [o.label for o in canned.scope_options(employee_id=org["manager"].id)] == ["Личный"]
    labels = [o.label for o in canned.scope_options(employee_id=org["boss"].id)]
    assert labels == ["Личный", "Отдел: Отдел продаж", "Отдел: Отдел сопровождения"]


def test_search_matches_title_and_text_whatever_the_case(session, org) -> None:
    _new(org["manager"].id, "Приветствие", "Добрый день! Чем помочь?")
    _new(org["manager"].id, "Ипотека", "Банки-партнеры: СБЕР и ВТБ")
    assert _titles(org["manager"].id, "привет") == ["Приветствие"]
    assert _titles(org["manager"].id, "сбер") == ["Ипотека"]
    assert _titles(org["manager"].id, "  ") == ["Ипотека", "Приветствие"]
    assert _titles(org["manager"].id, "нет такого") == []


# ---- placeholders -----------------------------------------------------------------------------


def test_placeholders_are_filled_for_the_chat_and_unknown_ones_stay(session, org) -> None:
    chat = _chat(session, org["client"], number=512, with_unit=True)
    reply = _new(
        org["manager"].id,
        "Всё",
        "{имя_клиента}, чат №{номер_чата}. {имя_сотрудника}: {объект} в {проект}. {неизвестно} {}",
    )
    text = canned.render(employee_id=org["manager"].id, reply_id=reply, chat_id=chat.id or 0)
    assert text == (
        "Иванов Иван Иванович, чат №512. Менеджер Мария: Корпус 2, №45 в ЖК «Северный парк». {неизвестно} {}"
    )


def test_without_a_unit_the_unit_placeholders_are_empty_and_a_visitor_is_named_as_such(session, org) -> None:
    visitor = factories.client(session, authorized=False)
    chat = _chat(session, visitor, number=9)
    reply = _new(org["manager"].id, "Объект", "[{объект}|{проект}] {имя_клиента}")
    text = canned.render(employee_id=org["manager"].id, reply_id=reply, chat_id=chat.id or 0)
    assert text == "[|] Неавторизованный посетитель"


def test_values_are_plain_text_inserted_once(session, org) -> None:
    """A client named like markup or like a placeholder is inserted as typed, never expanded again."""
    client = factories.client(session, "<b>{номер_чата}</b>")
    chat = _chat(session, client, number=3)
    reply = _new(org["manager"].id, "Имя", "Здравствуйте, {имя_клиента}!")
    text = canned.render(employee_id=org["manager"].id, reply_id=reply, chat_id=chat.id or 0)
    assert text == "Здравствуйте, <b>{номер_чата}</b>!"


def test_rendering_checks_the_employees_access_to_the_chat(session, org) -> None:
    chat = _chat(session, org["client"])
    reply = _new(org["manager"].id, "Привет", "Привет")
    no_chat_role = factories.role(session, "Без чата", [Permission.support_settings])
    outsider = factories.employee(session, "x@demo.ru", role_row=no_chat_role, department_row=org["dept"])
    with pytest.raises(Forbidden):
        canned.render(employee_id=outsider.id, reply_id=reply, chat_id=chat.id or 0)
    with pytest.raises(NotFound):
        canned.render(employee_id=org["manager"].id, reply_id=reply, chat_id=99999)


# ---- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "scope", "field", "message"),
    [
        ("  ", "Текст", PERSONAL, "title", "Введите название"),
        ("Т" * 61, "Текст", PERSONAL, "title", "Название: не больше 60 символов (сейчас 61)"),
        ("Пусто", " \n ", PERSONAL, "text", "Введите текст шаблона"),
        ("Длинный", "я" * (MAX_TEXT + 1), PERSONAL, "text", f"Текст: не больше {MAX_TEXT} символов"),
        ("Отдел", "Текст", "99999", "scope", "Выберите, кому доступен шаблон"),
        ("Отдел", "Текст", "١", "scope", "Выберите, кому доступен шаблон"),
    ],
)
def test_a_bad_field_is_refused_in_russian_beside_its_field(
    session, org, title: str, text: str, scope: str, field: str, message: str
) -> None:
    with pytest.raises(ServiceError) as err:
        _new(org["boss"].id, title, text, scope)
    assert err.value.field == field
    assert err.value.message.startswith(message)
    assert session.exec(select(CannedReply)).all() == []


def test_a_title_is_unique_within_its_scope_only(session, org) -> None:
    _new(org["manager"].id, "Привет")
    with pytest.raises(ServiceError) as err:
        _new(org["manager"].id, "привет ")
    assert (err.value.field, err.value.message) == ("title", "Шаблон с таким названием уже есть")
    _new(org["operator"].id, "Привет")  # another's personal scope
    _new(org["boss"].id, "Привет", scope=str(org["dept"].id))  # the department's


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
def test_any_text_keeps_what_is_not_a_known_placeholder(text: str) -> None:
    values = {"номер_чата": "7"}
    filled = canned.fill_placeholders(text, values)
    assert filled == text.replace("{номер_чата}", "7")

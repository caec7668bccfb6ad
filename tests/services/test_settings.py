"""Tab «Чат» of «Поддержка» → «Настройки» (S1–S4): limits, responsibles and rights, on the server."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from chat_crm.models import ChatSettings, Employee
from chat_crm.services import settings as chat_tab
from chat_crm.services.access import Permission
from chat_crm.services.errors import Forbidden, ServiceError
from tests import factories

# Realistic characters: no lone surrogates or control codes, which no form can send.
_chars = st.characters(blacklist_categories=("Cs", "Cc"))
# The database persists between Hypothesis examples: each example states the whole form, so none
# depends on another, and "unchanged" is checked against a snapshot taken inside the example.
_db_examples = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    sales = factories.department(session, "Отдел продаж")
    care = factories.department(session, "Служба заботы о клиентах")
    admin_role = factories.role(session, "Администратор")
    operator_role = factories.role(session, "Оператор", [Permission.support_chat])
    admin = factories.employee(session, "a@demo.ru", role_row=admin_role, department_row=care, name="Анна")
    seller = factories.employee(session, "s@demo.ru", role_row=admin_role, department_row=sales, name="Борис")
    gone = factories.employee(
        session, "g@demo.ru", role_row=admin_role, department_row=care, active=False, name="Галина"
    )
    loner = factories.employee(session, "l@demo.ru", role_row=admin_role, name="Лев")  # no department
    operator = factories.employee(session, "o@demo.ru", role_row=operator_role, department_row=care)
    row = factories.chat_settings(session, care)
    row.welcome_title, row.welcome_text = "Мы на связи", "Задайте вопрос"
    session.add(row)
    session.commit()
    return {
        "sales": sales,
        "care": care,
        "admin": admin,
        "seller": seller,
        "gone": gone,
        "loner": loner,
        "operator": operator,
    }


def _form(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    form = {
        "employee_id": world["admin"].id,
        "show_in_storefront": True,
        "consent_notice": True,
        "welcome_title": "Мы на связи",
        "welcome_text": "Задайте вопрос",
        "department_id": world["care"].id,
        "employee_id_choice": None,
    }
    return {**form, **changes}


def _stored(session: Session) -> tuple[Any, ...]:
    session.expire_all()  # the service wrote through its own session: read what is committed
    rows = session.exec(select(ChatSettings)).all()
    return tuple(
        (
            r.show_in_storefront,
            r.consent_notice,
            r.welcome_title,
            r.welcome_text,
            r.department_id,
            r.employee_id,
        )
        for r in rows
    )


def _refused(session: Session, form: dict[str, Any], field: str, message: str) -> None:
    before = _stored(session)
    with pytest.raises(ServiceError) as caught:
        chat_tab.save_chat_settings(**form)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert _stored(session) == before


@pytest.mark.feature("S3")
@_db_examples
@given(
    title=st.text(_chars, max_size=chat_tab.TITLE_LIMIT),
    text=st.text(_chars, max_size=chat_tab.TEXT_LIMIT),
    pad=st.sampled_from(["", " ", "  \n"]),
)
def test_any_title_and_text_within_the_limits_are_saved_stripped(
    session: Session, world: dict[str, Any], title: str, text: str, pad: str
) -> None:
    form = _form(world, welcome_title=pad + title + pad, welcome_text=text + pad)
    view = chat_tab.save_chat_settings(**form)
    assert (view.welcome_title, view.welcome_text) == (title.strip(), text.strip())
    assert _stored(session) == ((True, True, title.strip(), text.strip(), world["care"].id, None),)


@pytest.mark.feature("S3", "S11")
@_db_examples
@given(title=st.text(_chars, min_size=chat_tab.TITLE_LIMIT + 1, max_size=80))
def test_a_title_over_30_characters_is_refused_on_its_field_and_nothing_is_written(
    session: Session, world: dict[str, Any], title: str
) -> None:
    n = len(title.strip())
    assume(n > chat_tab.TITLE_LIMIT)  # mostly spaces: within the limit once stripped, covered above
    _refused(
        session,
        _form(world, welcome_title=title, show_in_storefront=False),
        "welcome_title",
        f"Заголовок: не больше 30 символов (сейчас {n})",
    )


@pytest.mark.feature("S3", "S11")
@_db_examples
@given(text=st.text(_chars, min_size=chat_tab.TEXT_LIMIT + 1, max_size=300))
def test_a_text_over_100_characters_is_refused_on_its_field_and_nothing_is_written(
    session: Session, world: dict[str, Any], text: str
) -> None:
    n = len(text.strip())
    assume(n > chat_tab.TEXT_LIMIT)
    _refused(
        session,
        _form(world, welcome_text=text, consent_notice=False),
        "welcome_text",
        f"Текст: не больше 100 символов (сейчас {n})",
    )


@pytest.mark.feature("S3")
def test_the_limits_are_exact_at_the_boundary(session: Session, world: dict[str, Any]) -> None:
    chat_tab.save_chat_settings(**_form(world, welcome_title="я" * 30, welcome_text="ж" * 100))
    _refused(
        session,
        _form(world, welcome_title="я" * 31),
        "welcome_title",
        "Заголовок: не больше 30 символов (сейчас 31)",
    )
    _refused(
        session,
        _form(world, welcome_text="ж" * 101),
        "welcome_text",
        "Текст: не больше 100 символов (сейчас 101)",
    )


@pytest.mark.feature("S4")
def test_an_employee_of_another_department_or_inactive_or_without_one_is_refused(
    session: Session, world: dict[str, Any]
) -> None:
    message = "Этот сотрудник не работает в выбранном подразделении"
    for who in ("seller", "gone", "loner"):
        _refused(session, _form(world, employee_id_choice=world[who].id), "employee", message)
    _refused(session, _form(world, employee_id_choice=999_999), "employee", message)


@pytest.mark.feature("S4")
def test_the_department_is_required_and_must_exist(session: Session, world: dict[str, Any]) -> None:
    _refused(
        session,
        _form(world, department_id=None, employee_id_choice=world["admin"].id),
        "department",
        "Выберите подразделение",
    )
    _refused(session, _form(world, department_id=999_999), "department", "Такого подразделения нет")


@pytest.mark.feature("S1", "S2", "S4")
def test_a_valid_form_writes_every_field_and_creates_the_row_when_absent(
    session: Session, world: dict[str, Any]
) -> None:
    session.delete(session.exec(select(ChatSettings)).one())
    session.commit()
    view = chat_tab.save_chat_settings(
        **_form(
            world,
            show_in_storefront=False,
            consent_notice=False,
            department_id=world["sales"].id,
            employee_id_choice=world["seller"].id,
        )
    )
    assert _stored(session) == (
        (False, False, "Мы на связи", "Задайте вопрос", world["sales"].id, world["seller"].id),
    )
    assert (view.department_id, view.employee_id) == (world["sales"].id, world["seller"].id)
    assert [o.label for o in view.employees] == ["Борис"]
    assert session.exec(select(func.count()).select_from(ChatSettings)).one() == 1


@pytest.mark.feature("S4")
def test_the_employee_options_are_the_active_employees_of_the_chosen_department_only(
    world: dict[str, Any],
) -> None:
    view = chat_tab.read_chat_settings(employee_id=world["admin"].id)
    assert [o.label for o in view.departments] == ["Отдел продаж", "Служба заботы о клиентах"]
    assert view.department_id == world["care"].id
    care_staff = [o.label for o in view.employees]
    assert "Анна" in care_staff and "Галина" not in care_staff and "Борис" not in care_staff
    sales = chat_tab.employees_of_department(employee_id=world["admin"].id, department_id=world["sales"].id)
    assert sales == [chat_tab.Option(value=str(world["seller"].id), label="Борис")]
    assert chat_tab.employees_of_department(employee_id=world["admin"].id, department_id=None) == []


@pytest.mark.feature("S1", "A2")
def test_a_role_without_the_settings_right_can_neither_read_nor_save(
    session: Session, world: dict[str, Any]
) -> None:
    operator = world["operator"].id
    before = _stored(session)
    with pytest.raises(Forbidden, match="Недостаточно прав"):
        chat_tab.save_chat_settings(**_form(world, employee_id=operator, show_in_storefront=False))
    with pytest.raises(Forbidden, match="Недостаточно прав"):
        chat_tab.read_chat_settings(employee_id=operator)
    with pytest.raises(Forbidden, match="Недостаточно прав"):
        chat_tab.employees_of_department(employee_id=operator, department_id=world["care"].id)
    assert _stored(session) == before


def test_a_deactivated_admin_is_refused_at_once(session: Session, world: dict[str, Any]) -> None:
    admin = session.get(Employee, world["admin"].id)
    assert admin is not None
    admin.is_active = False
    session.add(admin)
    session.commit()
    _refused(session, _form(world), "", "Сессия истекла, войдите снова")

"""«Сотрудники» (P17): add, edit, deactivate (sessions end at once), departments."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from chat_crm.models import AuthSession, ChatSettings, Employee
from chat_crm.services import auth, employees
from chat_crm.services.access import Permission
from chat_crm.services.assignment import default_responsible, eligible_employees
from chat_crm.services.employees import EmployeeDraft
from chat_crm.services.errors import Forbidden, ServiceError
from tests import factories


@pytest.fixture
def org(session: Session):
    dept = factories.department(session)
    admin_role = factories.role(session, "Администратор")
    writer = factories.role(session, "Менеджер", [Permission.support_chat, Permission.chat_send])
    admin = factories.employee(session, "admin@x.ru", role_row=admin_role, department_row=dept)
    return {"dept": dept, "admin": admin, "writer": writer, "admin_role": admin_role}


def _draft(org, **changes) -> EmployeeDraft:
    values = dict(
        full_name="Петров Пётр Петрович",
        email="Petrov@X.ru",
        password="long-enough",
        role_id=org["writer"].id,
        department_id=org["dept"].id,
    )
    values.update(changes)
    return EmployeeDraft(**values)


@pytest.mark.feature("P17")
def test_an_added_employee_is_listed_and_logs_in(session: Session, org) -> None:
    new_id = employees.add_employee(employee_id=org["admin"].id, draft=_draft(org))
    view = employees.list_employees(employee_id=org["admin"].id)
    row = next(e for e in view.employees if e.id == new_id)
    assert (row.full_name, row.email, row.role, row.department, row.is_active) == (
        "Петров Пётр Петрович",
        "petrov@x.ru",
        "Менеджер",
        "Отдел продаж",
        True,
    )
    assert auth.resolve_employee(auth.login("petrov@x.ru", "long-enough")).employee_id == new_id


@pytest.mark.feature("P17")
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "  "}, "full_name", "Введите ФИО"),
        ({"email": "not-an-email"}, "email", "e-mail"),
        ({"email": "ADMIN@x.ru"}, "email", "уже есть"),
        ({"password": "short"}, "password", "не короче 8"),
        ({"role_id": None}, "role", "Выберите роль"),
        ({"role_id": 999}, "role", "Выберите роль"),
        ({"department_id": 999}, "department", "Такого отдела нет"),
    ],
)
def test_a_bad_form_names_its_field_in_russian(session: Session, org, changes, field, message) -> None:
    with pytest.raises(ServiceError, match=message) as err:
        employees.add_employee(employee_id=org["admin"].id, draft=_draft(org, **changes))
    assert err.value.field == field
    assert len(session.exec(select(Employee)).all()) == 1


@pytest.mark.feature("P17")
def test_edit_changes_name_role_and_department(session: Session, org) -> None:
    other = factories.department(session, "Сервис")
    new_id = employees.add_employee(employee_id=org["admin"].id, draft=_draft(org))
    employees.update_employee(
        employee_id=org["admin"].id,
        target_id=new_id,
        draft=EmployeeDraft(full_name="Петров П. П.", role_id=org["admin_role"].id, department_id=other.id),
    )
    session.expire_all()
    row = session.get(Employee, new_id)
    assert (row.full_name, row.role_id, row.department_id) == ("Петров П. П.", org["admin_role"].id, other.id)


@pytest.mark.feature("P17")
def test_deactivation_ends_every_session_at_once_and_blocks_login(session: Session, org) -> None:
    new_id = employees.add_employee(employee_id=org["admin"].id, draft=_draft(org))
    tokens = [auth.login("petrov@x.ru", "long-enough") for _ in range(2)]
    employees.set_active(employee_id=org["admin"].id, target_id=new_id, active=False)
    assert all(auth.resolve_employee(token) is None for token in tokens)
    assert session.exec(select(AuthSession).where(AuthSession.employee_id == new_id)).all() == []
    with pytest.raises(ServiceError, match="Учётная запись отключена"):
        auth.login("petrov@x.ru", "long-enough")
    employees.set_active(employee_id=org["admin"].id, target_id=new_id, active=True)
    assert auth.login("petrov@x.ru", "long-enough")


@pytest.mark.feature("P17")
def test_auto_assignment_never_picks_a_deactivated_employee(session: Session, org) -> None:
    ids = [
        employees.add_employee(employee_id=org["admin"].id, draft=_draft(org, email=f"w{i}@x.ru"))
        for i in range(3)
    ]
    session.add(ChatSettings(department_id=org["dept"].id, employee_id=ids[0]))
    session.commit()
    for target in ids[:2]:
        employees.set_active(employee_id=org["admin"].id, target_id=target, active=False)
    session.expire_all()
    still = {org["admin"].id, ids[2]}  # the admin works in the department too
    assert {e.id for e in eligible_employees(session, org["dept"].id)} == still
    picks = {default_responsible(session)[1] for _ in range(40)}
    assert picks <= still and ids[0] not in picks and ids[1] not in picks


def test_nobody_deactivates_themselves_or_the_last_role_editor(session: Session, org) -> None:
    with pytest.raises(ServiceError, match="самого себя"):
        employees.set_active(employee_id=org["admin"].id, target_id=org["admin"].id, active=False)
    helper_role = factories.role(session, "Кадры", [Permission.employees])
    helper = factories.employee(session, "hr@x.ru", role_row=helper_role)
    with pytest.raises(ServiceError, match="ни одного активного сотрудника"):
        employees.set_active(employee_id=helper.id, target_id=org["admin"].id, active=False)
    with pytest.raises(ServiceError, match="ни одного активного сотрудника"):
        employees.update_employee(
            employee_id=helper.id,
            target_id=org["admin"].id,
            draft=EmployeeDraft(full_name="Админ", role_id=helper_role.id, department_id=None),
        )
    session.expire_all()
    assert session.get(Employee, org["admin"].id).is_active


@pytest.mark.feature("P17")
def test_departments_are_added_and_renamed_with_unique_names(session: Session, org) -> None:
    dept_id = employees.add_department(employee_id=org["admin"].id, name="Ипотечный отдел")
    employees.rename_department(employee_id=org["admin"].id, department_id=dept_id, name="Ипотека")
    view = employees.list_employees(employee_id=org["admin"].id)
    assert {o.label for o in view.departments} == {"Отдел продаж", "Ипотека"}
    with pytest.raises(ServiceError, match="уже есть") as err:
        employees.add_department(employee_id=org["admin"].id, name="отдел продаж")
    assert err.value.field == "department_name"


def test_without_the_employees_right_nothing_is_read_or_changed(session: Session, org) -> None:
    clerk = factories.employee(session, "c@x.ru", role_row=org["writer"])
    for call in (
        lambda: employees.list_employees(employee_id=clerk.id),
        lambda: employees.add_employee(employee_id=clerk.id, draft=_draft(org)),
        lambda: employees.set_active(employee_id=clerk.id, target_id=org["admin"].id, active=False),
        lambda: employees.add_department(employee_id=clerk.id, name="Свой"),
    ):
        with pytest.raises(Forbidden):
            call()

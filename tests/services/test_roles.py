"""The role editor's rules (A1–A3, N1): names, deletion, tabs «Доступ» and «Уведомления», lock-out."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from chat_crm.models import Role
from chat_crm.services import auth, roles
from chat_crm.services.access import AlertChannel, AlertKind, Permission, alert_channels, require_employee
from chat_crm.services.errors import Forbidden, ServiceError
from tests import factories


@pytest.fixture
def admin(session: Session):
    role = factories.role(session, "Администратор")
    return factories.employee(session, "admin@x.ru", role_row=role)


@pytest.mark.feature("A1")
def test_create_rename_list_and_delete_an_unheld_role(session: Session, admin) -> None:
    made = roles.create_role(employee_id=admin.id, name="  Старший   менеджер ")
    assert made.name == "Старший менеджер" and made.permissions == [] and made.holders == 0
    roles.rename_role(employee_id=admin.id, role_id=made.id, name="Ведущий менеджер")
    names = [r.name for r in roles.list_roles(employee_id=admin.id)]
    assert "Ведущий менеджер" in names and "Старший менеджер" not in names
    assert roles.delete_role(employee_id=admin.id, role_id=made.id) == "Ведущий менеджер"
    session.expire_all()
    assert session.get(Role, made.id) is None


@pytest.mark.feature("A1")
@pytest.mark.parametrize(("name", "message"), [("", "Введите название роли"), ("администратор", "уже есть")])
def test_a_role_name_must_be_given_and_unique(admin, name: str, message: str) -> None:
    with pytest.raises(ServiceError, match=message) as err:
        roles.create_role(employee_id=admin.id, name=name)
    assert err.value.field == "name"


@pytest.mark.feature("A1")
def test_a_held_role_is_not_deleted_and_the_refusal_counts_its_holders(session: Session, admin) -> None:
    role = factories.role(session, "Менеджер", [Permission.support_chat])
    for i in range(3):
        factories.employee(session, f"m{i}@x.ru", role_row=role, active=i != 2)  # the inactive one counts
    with pytest.raises(ServiceError, match="назначена 3 сотрудникам"):
        roles.delete_role(employee_id=admin.id, role_id=role.id)
    session.expire_all()
    assert session.get(Role, role.id) is not None


@pytest.mark.feature("A2", "A3", "N1")
def test_save_stores_permissions_and_alert_channels(session: Session, admin) -> None:
    role = factories.role(session, "Оператор", [])
    holder = factories.employee(session, "o@x.ru", role_row=role)
    roles.save_role(
        employee_id=admin.id,
        role_id=role.id,
        permissions=["chat_send", "support_chat"],
        notifications={"chat_new_message": ["push", "email"], "chat_assigned": ["email"]},
    )
    session.expire_all()
    row = session.get(Role, role.id)
    assert row.permissions == ["support_chat", "chat_send"]
    assert alert_channels(session, holder, AlertKind.chat_new_message) == {
        AlertChannel.push,
        AlertChannel.email,
    }
    assert alert_channels(session, holder, AlertKind.chat_assigned) == {AlertChannel.email}
    require_employee(session, holder.id, Permission.chat_send)  # holds at once, no new login


@pytest.mark.feature("A2")
def test_a_removed_right_is_refused_on_the_next_call(session: Session, admin) -> None:
    role = factories.role(session, "Читатель", [Permission.support_chat])
    holder = factories.employee(session, "r@x.ru", role_row=role)
    token = auth.login("r@x.ru", "secret")
    assert auth.resolve_employee(token).permissions == {"support_chat"}
    roles.save_role(employee_id=admin.id, role_id=role.id, permissions=[], notifications={})
    session.expire_all()  # the test's own session is another "request"
    with pytest.raises(Forbidden):
        require_employee(session, holder.id, Permission.support_chat)
    assert auth.resolve_employee(token).permissions == frozenset()


@pytest.mark.parametrize(
    ("permissions", "notifications"),
    [(["everything"], {}), ([], {"chat_new_message": ["sms"]}), ([], {"birthday": ["push"]})],
)
def test_unknown_codes_are_refused(session: Session, admin, permissions, notifications) -> None:
    role = factories.role(session, "Пустая", [])
    with pytest.raises(ServiceError):
        roles.save_role(
            employee_id=admin.id, role_id=role.id, permissions=permissions, notifications=notifications
        )


@pytest.mark.feature("A1")
def test_the_last_role_editor_cannot_lock_everyone_out(session: Session, admin) -> None:
    with pytest.raises(ServiceError, match="ни одного активного сотрудника"):
        roles.save_role(
            employee_id=admin.id, role_id=admin.role_id, permissions=["support_chat"], notifications={}
        )
    session.expire_all()
    assert Permission.roles.value in session.get(Role, admin.role_id).permissions


def test_without_the_roles_right_nothing_is_read_or_changed(session: Session, admin) -> None:
    role = factories.role(session, "Менеджер", [Permission.support_chat, Permission.employees])
    manager = factories.employee(session, "m@x.ru", role_row=role)
    for call in (
        lambda: roles.list_roles(employee_id=manager.id),
        lambda: roles.create_role(employee_id=manager.id, name="Своя"),
        lambda: roles.rename_role(employee_id=manager.id, role_id=role.id, name="Своя"),
        lambda: roles.delete_role(employee_id=manager.id, role_id=admin.role_id),
        lambda: roles.save_role(
            employee_id=manager.id, role_id=role.id, permissions=["roles"], notifications={}
        ),
    ):
        with pytest.raises(Forbidden):
            call()
    session.expire_all()
    assert session.get(Role, role.id).permissions == ["support_chat", "employees"]

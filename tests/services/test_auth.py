from __future__ import annotations

import pytest
from sqlmodel import Session, select

from chat_crm.models import AuthSession, Channel, Client
from chat_crm.services import auth
from chat_crm.services.errors import ServiceError
from tests import factories


@pytest.fixture
def staff(session: Session):
    admin = factories.role(session, "Администратор")
    return factories.employee(session, "anna@demo.ru", role_row=admin, name="Анна")


def test_login_gives_a_token_that_resolves_to_the_employee(session: Session, staff) -> None:
    token = auth.login("  Anna@Demo.ru ", "secret")
    identity = auth.resolve_employee(token)
    assert identity is not None and identity.full_name == "Анна"
    # only the hash is stored
    assert session.exec(select(AuthSession.token_hash)).one() != token


def test_wrong_password_and_unknown_email_give_the_same_russian_error(session: Session, staff) -> None:
    for email, password in (("anna@demo.ru", "nope"), ("nobody@demo.ru", "secret")):
        with pytest.raises(ServiceError) as err:
            auth.login(email, password)
        assert err.value.message == "Неверный e-mail или пароль"


def test_empty_form_is_refused(sqlite_db: str) -> None:
    with pytest.raises(ServiceError, match="Введите e-mail и пароль"):
        auth.login("", "")


def test_deactivated_employee_loses_the_session_at_once(session: Session, staff) -> None:
    token = auth.login("anna@demo.ru", "secret")
    staff.is_active = False
    session.add(staff)
    session.commit()
    assert auth.resolve_employee(token) is None
    with pytest.raises(ServiceError, match="Учётная запись отключена"):
        auth.login("anna@demo.ru", "secret")


def test_logout_ends_the_session(session: Session, staff) -> None:
    token = auth.login("anna@demo.ru", "secret")
    auth.logout(token)
    assert auth.resolve_employee(token) is None


def test_anonymous_visitor_gets_a_client_row_and_a_client_token(session: Session) -> None:
    token = auth.start_client_session(None, Channel.ios)
    client_id = auth.resolve_client(token)
    client = session.get(Client, client_id)
    assert client is not None and not client.is_authorized and client.channel == Channel.ios
    # a client token opens no CRM session
    assert auth.resolve_employee(token) is None

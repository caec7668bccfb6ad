"""A small organisation shared by the service tests: a writer, a reader, a client."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from chat_crm.services.access import Permission
from tests import factories


@pytest.fixture
def world(session: Session):
    dept = factories.department(session)
    writer_role = factories.role(session, "Менеджер", [Permission.support_chat, Permission.chat_send])
    reader_role = factories.role(session, "Оператор", [Permission.support_chat])
    manager = factories.employee(
        session, "m@demo.ru", role_row=writer_role, department_row=dept, name="Менеджер Мария"
    )
    operator = factories.employee(session, "o@demo.ru", role_row=reader_role, department_row=dept)
    factories.chat_settings(session, dept, manager)
    client = factories.client(session)
    return {"manager": manager, "operator": operator, "client": client, "dept": dept}

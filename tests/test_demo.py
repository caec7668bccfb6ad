from __future__ import annotations

import subprocess
import sys

from sqlmodel import Session, func, select

from chat_crm import db
from chat_crm.demo import main
from chat_crm.models import Chat, Client, ClientUnit, Department, Employee, Message, Project, Role, UnitStatus
from chat_crm.services import auth
from tests.conftest import use_database


def test_demo_loads_the_promised_world_and_refuses_a_second_load(tmp_path, capsys) -> None:
    use_database(f"sqlite:///{tmp_path / 'demo.db'}")
    assert main([]) == 0
    with Session(db.get_engine()) as s:
        count = lambda model: s.exec(select(func.count()).select_from(model)).one()  # noqa: E731
        assert count(Project) >= 3 and count(Department) >= 3 and count(Employee) >= 10
        assert count(Client) >= 40 and count(Chat) >= 200
        for status in UnitStatus:
            assert s.exec(select(func.count()).where(ClientUnit.status == status)).one() >= 150
        assert {r.name for r in s.exec(select(Role))} >= {"Администратор", "Менеджер", "Оператор"}
        operator_role = s.exec(select(Role).where(Role.name == "Оператор")).one()
        assert "chat_send" not in operator_role.permissions
        assert s.exec(select(func.count()).where(Message.read_at == None)).one() > 0  # noqa: E711
        ivanov = s.exec(select(Client).where(Client.full_name == "Иванов Иван Иванович")).one()
        statuses = set(s.exec(select(ClientUnit.status).where(ClientUnit.client_id == ivanov.id)))
        assert statuses == set(UnitStatus)
        first, last = s.exec(select(func.min(Message.created_at), func.max(Message.created_at))).one()
        assert (last - first).days > 60
    for login in ("admin@demo.ru", "manager@demo.ru", "operator@demo.ru"):
        assert auth.resolve_employee(auth.login(login, "demo")) is not None
    capsys.readouterr()
    assert main([]) == 1
    assert "В базе уже есть данные" in capsys.readouterr().err
    assert main(["--if-empty"]) == 0


def test_demo_command_runs_as_documented(tmp_path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "chat_crm.demo"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "admin@demo.ru" in done.stdout


def test_demo_chats_carry_their_units_projects_and_matching_topics(tmp_path) -> None:
    """«Проект» and the filters show what a real partner's list would: a chat is about one of
    its client's own units, on a topic that unit's status allows (or «Другой вопрос»)."""
    from chat_crm.demo import TOPICS_OF_STATUS
    from chat_crm.models import Topic

    use_database(f"sqlite:///{tmp_path / 'demo.db'}")
    assert main([]) == 0
    with Session(db.get_engine()) as s:
        chats = s.exec(select(Chat)).all()
        links = {(link.client_id, link.unit_id): link.status for link in s.exec(select(ClientUnit))}
        with_unit = [c for c in chats if c.unit_id is not None]
        assert len(with_unit) >= 0.6 * len(chats)
        for chat in with_unit:
            status = links[(chat.client_id, chat.unit_id)]  # the client's own unit
            assert chat.topic in TOPICS_OF_STATUS[status]
        assert all(c.topic == Topic.other for c in chats if c.unit_id is None)
        assert any(c.responsible_id is None for c in chats)  # «Без ответственного» is not empty

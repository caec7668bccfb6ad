"""The routing policy (P11): who takes a new chat of a department.

Hypothesis drives sequences of new chats, closes, «Не в сети» and restarts (a new engine: the
round-robin cursor is in the database) and checks the invariants: a pick is always routable,
«По очереди» is fair, a capped employee is never over the cap.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from chat_crm import db
from chat_crm.models import (
    Chat,
    ChatSettings,
    Client,
    Department,
    DepartmentRouting,
    DialogState,
    Employee,
    RoutingPolicy,
)
from chat_crm.services import messages, presence, routing
from chat_crm.services.access import Permission
from chat_crm.services.errors import Forbidden, ServiceError
from tests import factories

_ids = itertools.count(1)
_HYPO = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# (active, may write, online, open dialogs already held)
_shape = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.integers(0, 3))


def _department(session: Session, policy: RoutingPolicy, cap: int | None) -> Department:
    dept = factories.department(session, f"Отдел {next(_ids)}")
    session.add(DepartmentRouting(department_id=dept.id or 0, policy=policy, max_open_dialogs=cap))
    session.commit()
    return dept


def _staff(session: Session, dept: Department, shapes: list[tuple[bool, bool, bool, int]]) -> list[Employee]:
    writer = factories.role(session, f"Пишет {next(_ids)}", [Permission.support_chat, Permission.chat_send])
    reader = factories.role(session, f"Читает {next(_ids)}", [Permission.support_chat])
    staff = []
    for active, may_write, online, load in shapes:
        employee = factories.employee(
            session,
            f"e{next(_ids)}@demo.ru",
            role_row=writer if may_write else reader,
            department_row=dept,
            active=active,
        )
        employee.is_online = online
        session.add(employee)
        for _ in range(load):
            _open_chat(session, dept, employee.id)
        staff.append(employee)
    session.commit()
    return staff


def _open_chat(session: Session, dept: Department, responsible_id: int | None) -> Chat:
    client = Client(full_name=f"Клиент {next(_ids)}")
    session.add(client)
    session.flush()
    chat = Chat(
        number=next(_ids) + 100_000,
        client_id=client.id or 0,
        department_id=dept.id,
        responsible_id=responsible_id,
        dialog_state=DialogState.open,
    )
    session.add(chat)
    session.flush()
    return chat


def _new_chat(dept: Department) -> int | None:
    """A new chat of the department, handed out by the policy in one unit of work."""
    with db.unit_of_work() as work:
        chat = _open_chat(work.session, dept, None)
        picked = routing.pick(work.session, dept.id, chat_id=chat.id)
        chat.responsible_id = picked.id if picked else None
        return chat.responsible_id


def _loads(session: Session, dept: Department) -> Counter[int]:
    rows = session.exec(
        select(Chat.responsible_id).where(
            Chat.department_id == dept.id, Chat.dialog_state != DialogState.closed
        )
    ).all()
    return Counter(r for r in rows if r is not None)


def _restart() -> None:
    """What a restart leaves: the database. The engine, its pool and every session go."""
    db.get_engine().dispose()
    db._engine_for.cache_clear()


@pytest.mark.feature("P11")
@_HYPO
@given(
    shapes=st.lists(_shape, min_size=0, max_size=6),
    policy=st.sampled_from(list(RoutingPolicy)),
    cap=st.none() | st.integers(1, 3),
)
def test_a_pick_is_always_active_may_write_online_and_under_the_cap(
    session: Session, shapes, policy: RoutingPolicy, cap: int | None
) -> None:
    dept = _department(session, policy, cap)
    staff = _staff(session, dept, shapes)
    routable = {
        e.id
        for e, (active, may_write, online, load) in zip(staff, shapes, strict=True)
        if active and may_write and online and (cap is None or load < cap)
    }
    picked = _new_chat(dept)
    if not routable:
        assert picked is None  # the chat stays «Без ответственного»
        return
    assert picked in routable
    if policy == RoutingPolicy.least_loaded:
        loads = {e.id: shape[3] for e, shape in zip(staff, shapes, strict=True)}
        assert loads[picked] == min(loads[i] for i in routable)


@pytest.mark.feature("P11")
@_HYPO
@given(
    size=st.integers(1, 5),
    steps=st.lists(st.sampled_from(["chat", "chat", "chat", "restart"]), min_size=1, max_size=30),
)
def test_round_robin_is_fair_over_any_sequence_of_new_chats_restarts_included(
    session: Session, size: int, steps: list[str]
) -> None:
    dept = _department(session, RoutingPolicy.round_robin, None)
    staff = [e.id for e in _staff(session, dept, [(True, True, True, 0)] * size)]
    picks: list[int | None] = []
    for step in steps:
        if step == "restart":
            _restart()
        else:
            picks.append(_new_chat(dept))
    counts = Counter(picks)
    assert set(counts) <= set(staff)
    assert not picks or max(counts.values()) - min(counts.get(i, 0) for i in staff) <= 1
    # Strictly in turn: each pick is the next id after the previous one, wrapping around.
    for before, after in itertools.pairwise(picks):
        assert after == staff[(staff.index(before) + 1) % size]


@pytest.mark.feature("P11")
@_HYPO
@given(
    policy=st.sampled_from(list(RoutingPolicy)),
    cap=st.integers(1, 3),
    size=st.integers(1, 4),
    steps=st.lists(
        st.one_of(
            st.just(("chat", 0)),
            st.tuples(st.just("close"), st.integers(0, 50)),
            st.tuples(st.just("away"), st.integers(0, 3)),
            st.just(("restart", 0)),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_a_capped_employee_is_never_over_the_cap(
    session: Session, policy: RoutingPolicy, cap: int, size: int, steps: list[tuple[str, int]]
) -> None:
    dept = _department(session, policy, cap)
    staff = _staff(session, dept, [(True, True, True, 0)] * size)
    for kind, n in steps:
        if kind == "chat":
            picked = _new_chat(dept)
            with Session(db.get_engine()) as s:
                loads = _loads(s, dept)
                online = [e for e in staff if s.get(Employee, e.id).is_online]
                # Nobody taken only when every online employee is at the cap.
                assert picked is not None or all(loads[e.id] >= cap for e in online)
        elif kind == "close":
            with db.unit_of_work() as work:
                open_ids = work.session.exec(
                    select(Chat.id).where(
                        Chat.department_id == dept.id, Chat.dialog_state != DialogState.closed
                    )
                ).all()
                if open_ids:
                    work.session.get(Chat, open_ids[n % len(open_ids)]).dialog_state = DialogState.closed
        elif kind == "away":
            employee = staff[n % size]
            now = presence.is_online(employee_id=employee.id)
            presence.set_online(employee_id=employee.id, online=not now)
        else:
            _restart()
        with Session(db.get_engine()) as s:
            assert all(count <= cap for count in _loads(s, dept).values())


@pytest.mark.feature("P11")
def test_the_basic_scenario_goes_by_turn_and_skips_who_is_away(session: Session, world) -> None:
    dept = world["dept"]
    row = session.exec(select(ChatSettings)).one()
    row.employee_id = None
    session.add(row)
    session.add(DepartmentRouting(department_id=dept.id, policy=RoutingPolicy.round_robin))
    session.commit()
    second, third = _staff(session, dept, [(True, True, True, 0), (True, True, True, 0)])
    presence.set_online(employee_id=second.id, online=False)
    assert not presence.is_online(employee_id=second.id)
    for i in range(4):
        client = factories.client(session, f"Очередь {i}")
        messages.send_client_message(client_id=client.id, text="Здравствуйте", client_msg_id=f"rr-key-{i}")
    picks = session.exec(select(Chat.responsible_id).order_by(Chat.id)).all()
    assert picks == [world["manager"].id, third.id, world["manager"].id, third.id]


@pytest.mark.feature("P11")
def test_the_s4_employee_away_or_at_the_cap_gives_way_to_the_policy(session: Session, world) -> None:
    dept = world["dept"]
    session.add(
        DepartmentRouting(department_id=dept.id, policy=RoutingPolicy.least_loaded, max_open_dialogs=1)
    )
    session.commit()
    (other,) = _staff(session, dept, [(True, True, True, 0)])
    first, second, third = (factories.client(session, f"Лимит {i}") for i in range(3))
    messages.send_client_message(client_id=first.id, text="Раз", client_msg_id="cap-key-1")
    messages.send_client_message(client_id=second.id, text="Два", client_msg_id="cap-key-2")
    messages.send_client_message(client_id=third.id, text="Три", client_msg_id="cap-key-3")
    session.expire_all()
    by_client = {c.client_id: c.responsible_id for c in session.exec(select(Chat)).all()}
    # The S4 employee first, the next over the cap goes to the other, then nobody is left.
    assert by_client == {first.id: world["manager"].id, second.id: other.id, third.id: None}


@pytest.mark.feature("P11")
def test_the_routing_settings_are_checked_saved_and_read_back(session: Session, world) -> None:
    dept = world["dept"]
    manager = factories.employee(session, "admin@demo.ru", role_row=factories.role(session, "Админ"))
    rows = routing.read_routing(employee_id=manager.id)
    assert [(r.name, r.policy, r.cap, r.minutes) for r in rows] == [(dept.name, "random", "", "")]
    wanted = routing.RoutingRow(dept.id, dept.name, "round_robin", " 5 ", "15")
    saved = routing.save_routing(employee_id=manager.id, rows=[wanted])
    assert [(r.policy, r.cap, r.minutes) for r in saved] == [("round_robin", "5", "15")]
    assert (
        routing.save_routing(
            employee_id=manager.id, rows=[routing.RoutingRow(dept.id, dept.name, "random", "", "0")]
        )[0].minutes
        == ""
    )
    bad = {
        ("least_loaded", "0", ""): ("Лимит открытых диалогов: целое число от 1 до 1000 или пусто", "cap"),
        ("least_loaded", "пять", ""): ("Лимит открытых диалогов: целое число от 1 до 1000 или пусто", "cap"),
        ("random", "", "-3"): ("Минуты: целое число от 0 до 10080 или пусто", "minutes"),
        ("somebody", "", ""): ("Выберите способ распределения", "policy"),
    }
    for (policy, cap, minutes), (message, field) in bad.items():
        with pytest.raises(ServiceError) as refused:
            routing.save_routing(
                employee_id=manager.id, rows=[routing.RoutingRow(dept.id, dept.name, policy, cap, minutes)]
            )
        assert (refused.value.message, refused.value.field) == (message, f"{field}-{dept.id}")
    assert routing.read_routing(employee_id=manager.id)[0].policy == "random"  # nothing half-saved
    with pytest.raises(Forbidden):
        routing.save_routing(employee_id=world["operator"].id, rows=[wanted])
    with pytest.raises(Forbidden):
        routing.read_routing(employee_id=world["operator"].id)


@pytest.mark.integration
@pytest.mark.feature("P11")
def test_round_robin_stays_in_turn_when_two_workers_pick_at_once_on_postgresql(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor's row is locked for the pick's transaction: no two picks read the same cursor."""
    import threading

    from tests.services.test_reassign import _fresh_postgres

    monkeypatch.setenv("DATABASE_URL", postgres_url)
    with _fresh_postgres(postgres_url), Session(db.get_engine(), expire_on_commit=False) as session:
        dept = _department(session, RoutingPolicy.round_robin, None)
        staff = [e.id for e in _staff(session, dept, [(True, True, True, 0)] * 3)]
        barrier = threading.Barrier(2)
        picks: list[int | None] = []

        def worker() -> None:
            barrier.wait()
            for _ in range(15):
                picks.append(_new_chat(dept))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Counter(picks) == {staff[0]: 10, staff[1]: 10, staff[2]: 10}

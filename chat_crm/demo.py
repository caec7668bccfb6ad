"""Deterministic Russian demo data: ``python -m chat_crm.demo``.

Migrates DATABASE_URL to the newest schema, then loads the demo into it.
It refuses a database that already holds data; ``--if-empty`` makes that a
quiet no-op instead (the run command uses it on every start).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import timedelta

from sqlmodel import Session, func, select

from chat_crm.db import get_engine
from chat_crm.migrate import upgrade_to_head
from chat_crm.models import (
    Acceptance,
    AuthorKind,
    BotSettings,
    Building,
    Channel,
    Chat,
    ChatChange,
    ChatSettings,
    Client,
    ClientUnit,
    Department,
    DialogState,
    Employee,
    Message,
    PartnerSettings,
    Project,
    Role,
    Topic,
    Unit,
    UnitStatus,
    utcnow,
)
from chat_crm.services.access import ALL_PERMISSIONS, Permission
from chat_crm.services.auth import hash_password
from chat_crm.services.reports.dialogs import record_close
from chat_crm.texts import t

SEED = 20261125
DEMO_PASSWORD = "demo"
DEMO_LOGINS = ("admin@demo.ru", "manager@demo.ru", "operator@demo.ru")

PROJECTS = (
    ("ЖК «Северный парк»", "Москва", "Квартал бизнес-класса у лесопарка: 3 корпуса, школа и детский сад."),
    ("ЖК «Речной квартал»", "Москва", "Дома на набережной с видом на реку и собственным причалом."),
    ("ЖК «Солнечная долина»", "Казань", "Семейный район с парком, спортивным кластером и поликлиникой."),
    ("ЖК «Зелёная гавань»", "Санкт-Петербург", "Малоэтажный квартал у залива с закрытыми дворами."),
)
DEPARTMENTS = ("Отдел продаж", "Отдел сопровождения сделок", "Служба заботы о клиентах")
EMPLOYEES = (
    ("Смирнова Анна Сергеевна", "admin@demo.ru", 2, "Администратор"),
    ("Кузнецов Дмитрий Олегович", "manager@demo.ru", 0, "Менеджер"),
    ("Попова Екатерина Андреевна", "operator@demo.ru", 2, "Оператор"),
    ("Васильев Игорь Петрович", "vasiliev@demo.ru", 0, "Менеджер"),
    ("Соколова Мария Викторовна", "sokolova@demo.ru", 0, "Менеджер"),
    ("Михайлов Алексей Николаевич", "mikhailov@demo.ru", 1, "Менеджер"),
    ("Новикова Ольга Дмитриевна", "novikova@demo.ru", 1, "Менеджер"),
    ("Фёдоров Сергей Александрович", "fedorov@demo.ru", 1, "Менеджер"),
    ("Морозова Татьяна Игоревна", "morozova@demo.ru", 2, "Менеджер"),
    ("Волков Павел Евгеньевич", "volkov@demo.ru", 2, "Оператор"),
    ("Лебедева Наталья Юрьевна", "lebedeva@demo.ru", 0, "Оператор"),
    ("Козлов Артём Владимирович", "kozlov@demo.ru", 1, "Менеджер"),
)
ROLES = {
    "Администратор": list(ALL_PERMISSIONS),
    "Менеджер": [Permission.support_chat, Permission.support_settings, Permission.chat_send],
    # «Оператор» reads chats but may not write to clients (A3).
    "Оператор": [Permission.support_chat],
}
LAST_NAMES = (
    "Иванов",
    "Петров",
    "Сидоров",
    "Орлов",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кудрявцев",
    "Макаров",
    "Андреев",
    "Ковалёв",
    "Ильин",
    "Гусев",
    "Титов",
    "Белов",
    "Комаров",
    "Киселёв",
)
FIRST_NAMES = (
    ("Александр", "Александра"),
    ("Михаил", "Мария"),
    ("Андрей", "Анна"),
    ("Илья", "Ирина"),
    ("Никита", "Наталья"),
    ("Роман", "Елена"),
    ("Егор", "Дарья"),
    ("Максим", "Ольга"),
)
PATRONYMICS = (("Сергеевич", "Сергеевна"), ("Петрович", "Петровна"), ("Игоревич", "Игоревна"))
CLIENT_LINES = (
    "Здравствуйте! Когда будет выдача ключей?",
    "Подскажите, пожалуйста, какие документы нужны для сделки?",
    "Можно ли перенести дату приемки на следующую неделю?",
    "Какие банки аккредитовали ваш проект для ипотеки?",
    "Добрый день, хочу уточнить сумму платежа по рассрочке.",
    "Есть ли ещё квартиры с видом на парк?",
    "Спасибо за помощь!",
    "При осмотре нашли трещину на откосе окна, что делать?",
)
EMPLOYEE_LINES = (
    "Здравствуйте! Уже уточняю информацию, ответ пришлю в течение часа.",
    "Список документов отправила вам на почту, проверьте, пожалуйста.",
    "Да, перенос возможен. Предлагаю четверг, 11:00.",
    "Ипотеку выдают Сбербанк, ВТБ и Альфа-Банк, ставки от 5,9%.",
    "Зафиксировали замечание, мастер свяжется с вами завтра.",
    "Рады помочь! Обращайтесь.",
)


def _person(rng: random.Random) -> str:
    female = rng.random() < 0.5
    last = rng.choice(LAST_NAMES) + ("а" if female else "")
    first = rng.choice(FIRST_NAMES)[female]
    patronymic = rng.choice(PATRONYMICS)[female]
    return f"{last} {first} {patronymic}"


def _phone(rng: random.Random) -> str:
    return f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


def _org(session: Session) -> tuple[list[Department], list[Employee]]:
    session.add(
        PartnerSettings(
            name="ГК «Демо-Девелопмент»",
            has_booking=True,
            has_deal=True,
            has_acceptance=True,
            has_mortgage=True,
        )
    )
    departments = [Department(name=name) for name in DEPARTMENTS]
    roles = {
        name: Role(
            name=name,
            permissions=[p.value for p in perms],
            notifications={"chat_new_message": ["push"], "chat_assigned": ["push", "email"]},
        )
        for name, perms in ROLES.items()
    }
    session.add_all([*departments, *roles.values()])
    session.flush()
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
    employees = [
        Employee(
            full_name=name,
            email=email,
            photo_url=f"/avatars/{email.split('@')[0]}.svg",
            department_id=departments[dept].id,
            role_id=roles[role].id or 0,
            password_hash=password_hash,
        )
        for name, email, dept, role in EMPLOYEES
    ]
    session.add_all(employees)
    session.flush()
    return departments, employees


def _realty(session: Session, rng: random.Random) -> list[Unit]:
    units: list[Unit] = []
    for p_index, (name, city, description) in enumerate(PROJECTS):
        project = Project(
            name=name, city=city, description=description, cover_url=f"/covers/project-{p_index + 1}.svg"
        )
        session.add(project)
        session.flush()
        for b_index in range(1, 4):
            building = Building(
                project_id=project.id or 0,
                name=f"Корпус {b_index}",
                is_commissioned=b_index == 1,
            )
            session.add(building)
            session.flush()
            for number in range(1, 61):
                rooms = rng.choice((1, 1, 2, 2, 3, 4))
                area = round(22 + rooms * 17 + rng.random() * 8, 1)
                units.append(
                    Unit(
                        building_id=building.id or 0,
                        number=str(100 * (p_index + 1) + number),
                        rooms=rooms,
                        area_m2=area,
                        floor=1 + (number - 1) // 4,
                        price_rub=int(area * rng.randint(180_000, 320_000)),
                    )
                )
    session.add_all(units)
    session.flush()
    return units


def _clients(
    session: Session, rng: random.Random, units: list[Unit], employees: list[Employee]
) -> list[Client]:
    clients = [
        Client(
            full_name="Иванов Иван Иванович" if i == 0 else _person(rng),
            phone=_phone(rng),
            email=f"client{i + 1}@example.ru",
            is_authorized=True,
            channel=Channel.ios if rng.random() < 0.45 else Channel.android,
        )
        for i in range(260)
    ]
    session.add_all(clients)
    session.flush()
    free_units = units[:]
    rng.shuffle(free_units)
    statuses = list(UnitStatus)
    links: list[ClientUnit] = []
    for i, client in enumerate(clients):
        # Client 1 has a unit in every status; the last 20 clients have none (B3).
        if i == 0:
            wanted = statuses
        elif i >= 240:
            wanted = []
        else:
            wanted = [statuses[(i + k) % 3] for k in range(rng.choice((1, 2, 2, 3)))]
        for status in wanted:
            links.append(
                ClientUnit(client_id=client.id or 0, unit_id=free_units.pop().id or 0, status=status)
            )
    session.add_all(links)
    managers = [e for e in employees if e.department_id == employees[5].department_id]
    session.add_all(
        Acceptance(
            client_id=link.client_id,
            unit_id=link.unit_id,
            responsible_id=rng.choice(managers).id,
            scheduled_at=utcnow() + timedelta(days=rng.randint(3, 60)),
        )
        for link in links
        if link.status == UnitStatus.acceptance
    )
    session.flush()
    return clients


def _settings(session: Session, departments: list[Department], employees: list[Employee]) -> None:
    session.add(
        ChatSettings(
            show_in_storefront=True,
            consent_notice=True,
            welcome_title="Мы на связи",
            welcome_text="Задайте вопрос — ответим в течение рабочего дня.",
            department_id=departments[2].id,
            employee_id=None,
        )
    )
    session.add(
        BotSettings(
            enabled=False,
            greeting_employee_id=employees[0].id,
            greeting_text="Здравствуйте! Я помогу быстро связаться с нужным специалистом.",
            prompt_unit_text="Выберите помещение, по которому у вас вопрос, или тему обращения.",
            prompt_topic_text="Выберите тему обращения по помещению.",
            before_transfer_text="Передаю ваш вопрос ответственному сотруднику, он скоро ответит.",
            resolved_text="Рады, что смогли помочь! Если появятся вопросы — пишите.",
            no_reply_text="Мы не получили ответа и закрываем диалог. Напишите, если вопрос остался.",
            restart_after_minutes=24 * 60,
        )
    )


# The topics a unit of each status is asked about (B4): the list's «Тема» and «Проект» agree.
TOPICS_OF_STATUS = {
    UnitStatus.booking: (Topic.booking, Topic.mortgage),
    UnitStatus.deal: (Topic.deal, Topic.mortgage),
    UnitStatus.acceptance: (Topic.acceptance,),
}


def _units_by_client(session: Session) -> dict[int, list[ClientUnit]]:
    found: dict[int, list[ClientUnit]] = {}
    for link in session.exec(select(ClientUnit).order_by(ClientUnit.id)):
        found.setdefault(link.client_id, []).append(link)
    return found


def _unit_and_topic(links: list[ClientUnit], drawn: Topic, number: int) -> tuple[int | None, Topic]:
    """A chat about one of the client's own units, on a topic its status allows; «Другой
    вопрос» (drawn by chance) needs no unit."""
    if drawn == Topic.other or not links:
        return None, Topic.other
    link = links[number % len(links)]
    options = TOPICS_OF_STATUS[link.status]
    return link.unit_id, options[number % len(options)]


def _chats(session: Session, rng: random.Random, clients: list[Client], employees: list[Employee]) -> None:
    now = utcnow()
    writers = [e for e in employees if e.email != "operator@demo.ru"]
    topics = list(Topic)
    units_of = _units_by_client(session)
    # Client 1 («Иванов Иван Иванович») starts with no chat, so the demo shows a first contact.
    for number, client in enumerate(clients[1:221], start=1):
        started = now - timedelta(days=rng.randint(1, 180), minutes=rng.randint(0, 1440))
        responsible = rng.choice(writers)
        unit_id, topic = _unit_and_topic(units_of.get(client.id or 0, []), rng.choice(topics), number)
        # A few chats wait for someone to take them («Без ответственного»); a few are over.
        # Not the picker's clients (chats 1–40): the browser tests start from open, assigned chats.
        unassigned = number > 40 and number % 10 == 5
        closed = number > 40 and number % 9 == 4
        chat = Chat(
            number=number,
            client_id=client.id or 0,
            unit_id=unit_id,
            topic=topic,
            department_id=responsible.department_id,
            responsible_id=None if unassigned else responsible.id,
            channel=client.channel,
            dialog_state=DialogState.closed if closed else DialogState.open,
            consent_pending=False,
            created_at=started,
            dialog_started_at=started,
        )
        session.add(chat)
        session.flush()
        if not unassigned:
            session.add(
                ChatChange(
                    chat_id=chat.id or 0,
                    actor_kind=AuthorKind.system,
                    field="responsible",
                    new_value=responsible.full_name,
                    note=t("history.default_responsible"),
                    created_at=started,
                )
            )
        moment = started
        unread_tail = number % 6 == 0  # every sixth chat ends with unread client messages
        count = rng.randint(2, 7)
        for k in range(count):
            moment += timedelta(minutes=rng.randint(2, 600))
            from_client = k % 2 == 0 or (unread_tail and k == count - 1)
            read = not (unread_tail and k >= count - 1)
            if not from_client and chat.first_response_at is None:
                chat.first_response_at = moment  # «Отчеты»: the dialog's first reply (P14)
            session.add(
                Message(
                    chat_id=chat.id or 0,
                    author_kind=AuthorKind.client if from_client else AuthorKind.employee,
                    employee_id=None if from_client else responsible.id,
                    text=rng.choice(CLIENT_LINES if from_client else EMPLOYEE_LINES),
                    client_msg_id=f"demo-{number}-{k}",
                    created_at=moment,
                    read_at=moment + timedelta(minutes=5) if read else None,
                    read_by_employee_id=responsible.id if read and from_client else None,
                )
            )
        chat.last_message_at = chat.updated_at = moment
        chat.last_client_message_at = moment
        if closed:  # a finished dialog, as the close service keeps it for «Отчеты»
            record_close(session, chat, moment + timedelta(hours=rng.randint(1, 48)))


def load_demo(session: Session) -> None:
    rng = random.Random(SEED)
    departments, employees = _org(session)
    units = _realty(session, rng)
    clients = _clients(session, rng, units, employees)
    _settings(session, departments, employees)
    _chats(session, rng, clients, employees)


def database_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Employee)).one() == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--if-empty", action="store_true", help="load only into an empty database")
    args = parser.parse_args(argv)
    upgrade_to_head()
    with Session(get_engine()) as session:
        if not database_is_empty(session):
            if args.if_empty:
                print("Демо-данные уже загружены.")
                return 0
            print(t("error.not_empty_db"), file=sys.stderr)
            return 1
        load_demo(session)
        session.commit()
    print("Демо-данные загружены. Вход: " + ", ".join(DEMO_LOGINS) + f"; пароль «{DEMO_PASSWORD}».")
    return 0


if __name__ == "__main__":
    sys.exit(main())

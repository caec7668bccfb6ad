"""What the client's app shows: the storefront, and the chat's opening state (S1–S3)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from chat_crm.db import read_session
from chat_crm.models import Chat, Client, ClientUnit, Project
from chat_crm.services.access import access_client
from chat_crm.services.assignment import chat_settings


@dataclass(frozen=True)
class DemoClient:
    id: int
    name: str


def demo_clients(limit: int = 45, without_units: int = 10, more: int = 20) -> list[DemoClient]:
    """Authorized clients offered by the simulator's picker: the first ones, a few who own
    no unit yet (so a tester can try the bot's B3 branch), then ``more`` owners after the
    first ones. Appended, never inserted: browser tests pick clients by their place."""
    authorized = select(Client).where(Client.is_authorized == True)  # noqa: E712
    owners = select(ClientUnit.client_id)
    with read_session() as session:
        first = session.exec(authorized.order_by(Client.id).limit(limit - without_units)).all()
        unitless = session.exec(
            authorized.where(col(Client.id).not_in(owners)).order_by(Client.id).limit(without_units)
        ).all()
        after = first[-1].id if first else 0
        later = session.exec(
            authorized.where(col(Client.id).in_(owners), col(Client.id) > after)
            .order_by(Client.id)
            .limit(more)
        ).all()
        return [DemoClient(id=c.id or 0, name=c.full_name) for c in [*first, *unitless, *later]]


@dataclass(frozen=True)
class ChatIntro:
    """The client chat's frame: whether the chat is shown, the stub and the notice."""

    chat_visible: bool
    client_name: str
    is_authorized: bool
    welcome_title: str
    welcome_text: str
    show_consent: bool


def chat_intro(*, client_id: int) -> ChatIntro:
    with read_session() as session:
        client = access_client(session, client_id)
        settings = chat_settings(session)
        chat = session.exec(select(Chat).where(Chat.client_id == client.id)).first()
        return ChatIntro(
            chat_visible=settings.show_in_storefront,
            client_name=client.full_name if client.is_authorized else "",
            is_authorized=client.is_authorized,
            welcome_title=settings.welcome_title,
            welcome_text=settings.welcome_text,
            show_consent=settings.consent_notice and (chat is None or chat.consent_pending),
        )


def project_names() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(Project.name).order_by(Project.id)).all())


def client_id_by_name(full_name: str) -> int | None:
    """An authorized client by full name: the demo's sample API token is printed for one (P15)."""
    with read_session() as session:
        query = select(Client.id).where(Client.full_name == full_name, Client.is_authorized == True)  # noqa: E712
        return session.exec(query.order_by(Client.id)).first()

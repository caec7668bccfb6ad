"""The API's typed contract (Pydantic): what goes in, what comes out, with the limits in the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chat_crm.services.messages import MAX_TEXT

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
MessageKey = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z_-]{8,64}$",
        description="Ключ сообщения, созданный приложением (UUID): повтор с тем же ключом не дублирует",
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisitorOut(BaseModel):
    token: str
    client_id: int
    expires_at: datetime


class FileOut(BaseModel):
    id: int
    name: str
    size: str
    is_image: bool
    url: str = Field(description="GET с тем же токеном")


class LinkOut(BaseModel):
    kind: str
    title: str
    note: str


class MessageOut(BaseModel):
    id: int
    client_msg_id: str | None
    author_kind: Literal["client", "employee", "bot"]
    author_name: str
    is_mine: bool
    is_bot: bool
    text: str
    created_at: datetime
    is_edited: bool
    is_deleted: bool
    is_read: bool
    can_change: bool = Field(description="M7: изменить или удалить еще можно")
    dialog_mark: str
    file: FileOut | None
    link: LinkOut | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    has_more_before: bool = Field(description="Есть сообщения старше первого: before=items[0].id")


class SendIn(Strict):
    client_msg_id: MessageKey
    text: str = Field(default="", max_length=MAX_TEXT, description=f"До {MAX_TEXT} символов")
    attachment_id: Id | None = Field(default=None, description="id из POST /api/v1/chat/files")


class EditIn(Strict):
    text: str = Field(max_length=MAX_TEXT)


class ReadOut(BaseModel):
    marked: int
    unread: int


class UnitOut(BaseModel):
    id: int
    project: str
    building: str
    number: str
    status: str


class Choice(BaseModel):
    value: str
    label: str


class BotOut(BaseModel):
    step: Literal["", "choose_unit", "choose_topic"] = Field(description='"": бот ничего не спрашивает')
    prompt: str
    units: list[UnitOut]
    topics: list[Choice]
    other_choices: list[Choice]
    can_go_back: bool


class ChatOut(BaseModel):
    chat_id: int | None
    visible: bool = Field(description="S1: «Отображать на витрине»")
    unread: int = Field(description="N4: непрочитанные клиентом сообщения")
    client_name: str
    is_authorized: bool
    welcome_title: str
    welcome_text: str
    show_consent: bool
    bot: BotOut


class UnitCardOut(BaseModel):
    id: int
    title: str
    caption: str
    chat_entry: bool = Field(description="«Связаться с нами» → «Написать в чат» на карточке (B10)")


class StorefrontOut(BaseModel):
    contact_visible: bool = Field(description="S1: показывать «Связаться с нами»")
    unread: int = Field(description="N4: счетчик на «Связаться с нами» и значке приложения")
    unit_cards: list[UnitCardOut]


class OpenChatIn(Strict):
    unit_id: Id | None = Field(default=None, description="С карточки помещения (B10)")


class ChooseUnitIn(Strict):
    unit_id: Id


class ChooseOtherIn(Strict):
    choice: Literal["no_unit", "purchase", "other"]


class ChooseTopicIn(Strict):
    topic: str = Field(min_length=1, max_length=40)


class PushKeys(Strict):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class WebPushIn(Strict):
    endpoint: str = Field(min_length=8, max_length=1000, pattern=r"^https?://")
    keys: PushKeys


class DeviceIn(Strict):
    platform: Literal["ios", "android"]
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[\x21-\x7e]+$")


class PushOut(BaseModel):
    registered: bool


class LinkUnitOut(BaseModel):
    caption: str
    details: str
    price: str


class LinkScreenOut(BaseModel):
    kind: str
    title: str
    subtitle: str
    description: str
    units: list[LinkUnitOut]
    finished: list[LinkUnitOut]

"""The chat of the token's client: counters, messages, sending, changing, reading, files (P15).

Every route calls the same service as the simulated app's screen (``states/client_app.py``).
Handlers are plain ``def``: the services read the database, so FastAPI runs them off the loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse

from chat_crm.api import convert, schemas
from chat_crm.api.deps import Caller, caller
from chat_crm.api.errors import ERROR_RESPONSES, ApiError
from chat_crm.routes import attachment_response
from chat_crm.services import attachments, bot, client_app, deeplinks, messages
from chat_crm.services.errors import NotFound
from chat_crm.texts import t

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["chat"])
Who = Annotated[Caller, Depends(caller)]
MessageId = Annotated[int, Path(ge=1, le=schemas.MAX_ID)]

_MESSAGE_LINKS = {
    "GetMessage": {"operationId": "get_message", "parameters": {"message_id": "$response.body#/id"}},
    "EditMessage": {"operationId": "edit_message", "parameters": {"message_id": "$response.body#/id"}},
    "DeleteMessage": {"operationId": "delete_message", "parameters": {"message_id": "$response.body#/id"}},
}


def _one(client_id: int, message_id: int) -> schemas.MessageOut:
    """The client's own message, or 404 whether it is someone else's or missing."""
    chat_id = messages.client_chat_id(client_id=client_id)
    batch = messages.live_batch(chat_id=chat_id, message_ids=(message_id,)) if chat_id else None
    if not batch or not batch.facts:
        raise NotFound(t("error.not_found"))
    return convert.message(batch.facts[0])


@router.get("/chat", operation_id="get_chat", summary="Чат клиента и его счетчики (N4, S1)")
def get_chat(who: Who) -> schemas.ChatOut:
    intro = client_app.chat_intro(client_id=who.client_id)
    return schemas.ChatOut(
        chat_id=messages.client_chat_id(client_id=who.client_id),
        visible=intro.chat_visible,
        unread=messages.unread_for_client(client_id=who.client_id),
        client_name=intro.client_name,
        is_authorized=intro.is_authorized,
        welcome_title=intro.welcome_title,
        welcome_text=intro.welcome_text,
        show_consent=intro.show_consent,
        bot=convert.bot_panel(bot.bot_panel(client_id=who.client_id)),
    )


@router.get(
    "/storefront", operation_id="get_storefront", summary="«Связаться с нами» на витрине (S1, N4, B10)"
)
def get_storefront(who: Who) -> schemas.StorefrontOut:
    intro = client_app.chat_intro(client_id=who.client_id)
    return schemas.StorefrontOut(
        contact_visible=intro.chat_visible,
        unread=messages.unread_for_client(client_id=who.client_id) if intro.chat_visible else 0,
        unit_cards=[schemas.UnitCardOut(**vars(c)) for c in bot.unit_cards(client_id=who.client_id)],
    )


@router.get("/chat/messages", operation_id="list_messages", summary="Сообщения с курсором (M10)")
def list_messages(
    who: Who,
    before: Annotated[int | None, Query(ge=1, le=schemas.MAX_ID, description="Старше этого id")] = None,
    after: Annotated[int | None, Query(ge=1, le=schemas.MAX_ID, description="Новее этого id")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> schemas.MessagePage:
    facts = messages.facts_for_client(
        client_id=who.client_id, after_id=after or 0, before_id=before or 0, limit=limit + 1
    )
    more = len(facts) > limit
    if more:  # one row more than asked says whether there is an older page
        facts = facts[:limit] if after else facts[1:]
    return schemas.MessagePage(items=[convert.message(f) for f in facts], has_more_before=more and not after)


@router.get("/chat/messages/{message_id}", operation_id="get_message", summary="Одно сообщение")
def get_message(who: Who, message_id: MessageId) -> schemas.MessageOut:
    return _one(who.client_id, message_id)


@router.post(
    "/chat/messages",
    operation_id="send_message",
    summary="Отправить текст и/или файл (M1, M2); повтор с тем же client_msg_id не дублирует (M8)",
    status_code=201,
    responses={
        201: {"description": "Сохранено", "links": _MESSAGE_LINKS},
        200: {"model": schemas.MessageOut, "description": "Уже было сохранено с этим ключом"},
    },
)
def send_message(who: Who, body: schemas.SendIn, response: Response) -> schemas.MessageOut:
    known = messages.client_message_by_key(client_id=who.client_id, client_msg_id=body.client_msg_id)
    message_id = known or messages.send_client_message(
        client_id=who.client_id,
        text=body.text,
        client_msg_id=body.client_msg_id,
        attachment_id=body.attachment_id,
    )
    if known:
        response.status_code = 200
    return _one(who.client_id, message_id)


@router.patch("/chat/messages/{message_id}", operation_id="edit_message", summary="Изменить (M7)")
def edit_message(who: Who, message_id: MessageId, body: schemas.EditIn) -> schemas.MessageOut:
    messages.edit_client_message(client_id=who.client_id, message_id=message_id, text=body.text)
    return _one(who.client_id, message_id)


@router.delete("/chat/messages/{message_id}", operation_id="delete_message", summary="Удалить (M7)")
def delete_message(who: Who, message_id: MessageId) -> schemas.MessageOut:
    messages.delete_client_message(client_id=who.client_id, message_id=message_id)
    return _one(who.client_id, message_id)


@router.get(
    "/chat/messages/{message_id}/link",
    operation_id="get_link_screen",
    summary="Экран, который открывает ссылка-переход в сообщении (M5)",
)
def get_link_screen(who: Who, message_id: MessageId) -> schemas.LinkScreenOut:
    screen = deeplinks.link_screen(client_id=who.client_id, message_id=message_id)
    return schemas.LinkScreenOut(
        kind=screen.kind,
        title=screen.title,
        subtitle=screen.subtitle,
        description=screen.description,
        units=[schemas.LinkUnitOut(**vars(u)) for u in screen.units],
        finished=[schemas.LinkUnitOut(**vars(u)) for u in screen.finished],
    )


@router.post("/chat/read", operation_id="mark_read", summary="Отметить прочитанным (M11, N4)")
def mark_read(who: Who) -> schemas.ReadOut:
    marked = messages.mark_read_by_client(client_id=who.client_id)
    return schemas.ReadOut(marked=marked, unread=messages.unread_for_client(client_id=who.client_id))


@router.post(
    "/chat/files",
    operation_id="upload_file",
    status_code=201,
    summary="Прикрепить файл (M2): до 40 МБ; изображения, PDF, документы Office/ODF, TXT, CSV",
)
def upload_file(who: Who, file: Annotated[UploadFile, File(description="Файл до 40 МБ")]) -> schemas.FileOut:
    messages.check_client_may_send()  # S1, before the file is taken
    staged = attachments.stage_client_file(
        client_id=who.client_id, filename=file.filename or "file", stream=file.file
    )
    return convert.staged(staged)


@router.get(
    "/files/{file_id}",
    operation_id="get_file",
    summary="Файл из чата клиента",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "Файл"}},
)
def get_file(who: Who, file_id: MessageId, thumb: bool = False) -> FileResponse:
    found = attachments.file_for_client(client_id=who.client_id, attachment_id=file_id, thumb=thumb)
    return attachment_response(found)


__all__ = ["ApiError", "router"]

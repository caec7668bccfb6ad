"""The bot's steps (B1–B7), push registration, and the anonymous visitor's token (P15)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from chat_crm.api import convert, schemas, tokens
from chat_crm.api.deps import Caller, RateLimiter, caller
from chat_crm.api.errors import ERROR_RESPONSES, ApiError
from chat_crm.config import get_settings
from chat_crm.models import Channel, utcnow
from chat_crm.services import auth, bot, device_tokens, webpush
from chat_crm.texts import t

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
Who = Annotated[Caller, Depends(caller)]


def _step(client_id: int, step: Callable[[], None]) -> schemas.BotOut:
    step()
    return convert.bot_panel(bot.bot_panel(client_id=client_id))


@router.get("/chat/bot", operation_id="get_bot", tags=["bot"], summary="Вопрос бота и варианты (B2–B5)")
def get_bot(who: Who) -> schemas.BotOut:
    return convert.bot_panel(bot.bot_panel(client_id=who.client_id))


@router.post(
    "/chat/open",
    operation_id="open_chat",
    tags=["bot"],
    summary="Клиент открыл чат: приветствие бота (B1); с карточки помещения — оно выбрано (B10)",
)
def open_chat(who: Who, body: schemas.OpenChatIn) -> schemas.BotOut:
    return _step(who.client_id, lambda: bot.enter_chat(client_id=who.client_id, unit_id=body.unit_id))


@router.post("/chat/bot/unit", operation_id="bot_choose_unit", tags=["bot"], summary="Выбрать помещение (B2)")
def choose_unit(who: Who, body: schemas.ChooseUnitIn) -> schemas.BotOut:
    return _step(who.client_id, lambda: bot.choose_unit(client_id=who.client_id, unit_id=body.unit_id))


@router.post(
    "/chat/bot/other",
    operation_id="bot_choose_other",
    tags=["bot"],
    summary="«Нет нужного варианта», «Покупка недвижимости», «Другой вопрос» (B3, B7)",
)
def choose_other(who: Who, body: schemas.ChooseOtherIn) -> schemas.BotOut:
    return _step(who.client_id, lambda: bot.choose_other(client_id=who.client_id, choice=body.choice))


@router.post(
    "/chat/bot/topic", operation_id="bot_choose_topic", tags=["bot"], summary="Выбрать тему (B4, B6)"
)
def choose_topic(who: Who, body: schemas.ChooseTopicIn) -> schemas.BotOut:
    return _step(who.client_id, lambda: bot.choose_topic(client_id=who.client_id, topic=body.topic))


@router.post(
    "/chat/bot/back", operation_id="bot_back", tags=["bot"], summary="«Назад» к выбору помещения (B5)"
)
def go_back(who: Who) -> schemas.BotOut:
    return _step(who.client_id, lambda: bot.back(client_id=who.client_id))


@router.post("/push/webpush", operation_id="register_webpush", tags=["push"], summary="Подписка Web Push")
def register_webpush(who: Who, body: schemas.WebPushIn) -> schemas.PushOut:
    sub = webpush.parse_subscription(body.model_dump())
    webpush.subscribe(sub, client_id=who.client_id)
    return schemas.PushOut(registered=True)


@router.post(
    "/push/device",
    operation_id="register_device",
    tags=["push"],
    summary="Токен устройства iOS/Android (для будущего провайдера APNs/FCM)",
)
def register_device(who: Who, body: schemas.DeviceIn) -> schemas.PushOut:
    device_tokens.register_device(client_id=who.client_id, platform=body.platform, token=body.token)
    return schemas.PushOut(registered=True)


_visitors = RateLimiter()
_visitor_keys: dict[str, int] = {}
_visitor_lock = threading.Lock()


def _address_key(request: Request) -> int:
    address = request.client.host if request.client else ""
    with _visitor_lock:
        return _visitor_keys.setdefault(address, len(_visitor_keys) + 1)


@router.post(
    "/visitors",
    operation_id="create_visitor",
    tags=["auth"],
    status_code=201,
    summary="Токен нового анонимного посетителя; клиенту с входом токен выдает сервер партнера",
)
def create_visitor(request: Request) -> schemas.VisitorOut:
    per_hour = get_settings().api_visitors_per_hour
    if per_hour <= 0:
        raise ApiError(403, "forbidden", t("api.error.visitors_off"))
    wait = _visitors.hit(_address_key(request), per_hour, 3600.0, time.monotonic())
    if wait:
        raise ApiError(429, "rate_limited", t("api.error.visitors_limited"), retry_after=wait)
    client_id = auth.new_anonymous_client(Channel.ios)
    hours = get_settings().api_token_hours
    return schemas.VisitorOut(
        token=tokens.issue(client_id, hours=hours),
        client_id=client_id,
        expires_at=utcnow() + timedelta(hours=hours),
    )

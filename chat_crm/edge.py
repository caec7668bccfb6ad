"""The event edge: every event is cleaned and checked before any handler runs (issue 9).

One middleware for every state instead of a check in each handler:

- strings lose lone surrogates and NUL (they break encoders, logs and the database);
- the payload must fit the handler's signature and type hints, after Reflex's own
  conversion (a str "5" for an ``int`` is fine; ``[1]`` for a ``str`` is not);
- an integer must fit the database's 64 bits, so an id ≥ 2^63 is «Не найдено»,
  not an OverflowError.

A refused event changes nothing and shows a Russian toast. Whatever still goes wrong
in a handler reaches ``backend_exception_handler``: a Russian toast with a short code
that the log line carries too, never Reflex's English "An error occurred".
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import math
import re
import secrets
import types
import typing
from collections.abc import Mapping
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import _transform_event_arg
from reflex_base.registry import RegistrationContext

from chat_crm.db import DatabaseBusy
from chat_crm.logging_setup import safe_text
from chat_crm.services.errors import ServiceError, Unauthenticated
from chat_crm.texts import t

log = logging.getLogger("chat_crm.edge")

INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_UNSAFE = re.compile("[\ud800-\udfff\x00]")


class BadPayload(ValueError):
    """The event's arguments do not fit its handler; ``message`` is the Russian answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean(value: Any) -> Any:
    """The value with lone surrogates and NUL removed from every string in it."""
    if isinstance(value, str):
        return _UNSAFE.sub("", value) if not value.isascii() or "\x00" in value else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of type ``hint``; an int outside 64 bits raises «Не найдено»."""
    if hint is Any or hint is inspect.Parameter.empty or isinstance(hint, typing.TypeVar):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in args)
    if hint is None or hint is type(None):
        return value is None
    if origin is typing.Literal:
        return value in args
    if origin is typing.Annotated:
        return _conforms(value, args[0])
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if not INT_MIN <= value <= INT_MAX:
            raise BadPayload(t("error.not_found"))
        return True
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        if not isinstance(value, dict):
            return False
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        return all(_conforms(k, key_hint) and _conforms(v, value_hint) for k, v in value.items())
    if origin in (list, set, frozenset, tuple) or hint in (list, set, frozenset, tuple):
        if not isinstance(value, (list, set, frozenset, tuple)):
            return False
        fixed_tuple = origin is tuple and not (len(args) == 2 and args[1] is Ellipsis)
        item_hint = args[0] if args and not fixed_tuple else Any
        return all(_conforms(v, item_hint) for v in value)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint we do not model: Reflex and the handler decide


@dataclasses.dataclass(frozen=True)
class _Signature:
    """What a handler accepts, read once per handler: events are the hot path."""

    open_ended: bool  # takes **kwargs: anything goes
    names: frozenset[str]
    required: frozenset[str]
    hints: Mapping[str, Any]


@functools.cache
def _signature(fn: Any) -> _Signature:
    params = list(inspect.signature(fn).parameters.values())[1:]  # without self
    positional = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return _Signature(
        open_ended=any(p.kind is p.VAR_KEYWORD for p in params),
        names=frozenset(p.name for p in positional),
        required=frozenset(p.name for p in positional if p.default is p.empty),
        hints=typing.get_type_hints(fn),
    )


def check_payload(handler: Any, payload: dict[str, Any]) -> None:
    """Raise ``BadPayload`` unless the payload fits the handler's signature and hints."""
    signature = _signature(handler.fn)
    if signature.open_ended:
        return
    if not signature.required <= payload.keys() <= signature.names:
        raise BadPayload(t("error.bad_input"))
    for name, value in payload.items():
        hint = signature.hints.get(name, Any)
        try:
            converted = _transform_event_arg(value, hint)
        except Exception:
            raise BadPayload(t("error.bad_input")) from None
        if not _conforms(converted, hint):
            raise BadPayload(t("error.bad_input"))


def _toast(message: str) -> EventSpec:
    return rx.toast.error(message, position="top-center", duration=6000)


class EventEdge(Middleware):
    """Cleans every event's strings in place and refuses a payload that does not fit."""

    async def preprocess(self, app: Any, state: BaseState, event: Event) -> StateUpdate | None:
        for key, value in list(event.payload.items()):
            event.payload[key] = clean(value)
        try:
            registered = RegistrationContext.get().event_handlers.get(event.name)
        except LookupError:
            registered = None
        if registered is None:
            return None
        try:
            check_payload(registered.handler, event.payload)
        except BadPayload as refused:
            log.warning("refused event %s: %s", event.name, safe_text(repr(event.payload))[:500])
            return StateUpdate(events=Event.from_event_type(_toast(refused.message)))
        return None


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def russian_message(exc: BaseException) -> str:
    """What the user reads about ``exc``; unexpected ones are logged with a short code."""
    busy = _cause(exc, DatabaseBusy)
    if isinstance(busy, DatabaseBusy):
        return busy.message
    if isinstance(exc, (ServiceError, BadPayload)):
        return exc.message
    if _cause(exc, OverflowError) is not None:  # an id past 64 bits reached the database
        return t("error.not_found")
    code = secrets.token_hex(4)
    log.error("unhandled error %s in an event", code, exc_info=exc)
    return t("error.internal", code=code)


def backend_exception_handler(exception: Exception) -> list[EventSpec]:
    """rx.App's handler: a Russian toast, never Reflex's English one.

    (Reflex checks this signature by evaluating the annotation in its own module.)
    """
    message = russian_message(exception)
    if isinstance(exception, Unauthenticated):
        return [_toast(message), rx.redirect("/login")]
    return [_toast(message)]


def frontend_exception_handler(exception: Exception) -> None:
    """A browser-side error, reported over the socket: into the log, escaped."""
    log.error("frontend error: %s", safe_text(exception)[:2000])


# A lone surrogate escape (``\ud800`` with no partner), or NUL, in a websocket frame's JSON.
# Escaped backslashes are matched first, so ``\\ud800`` (a backslash, then text) stays.
_FRAME_ESCAPES = re.compile(
    r"(\\\\)|(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\u0000"
)


def clean_frame(text: str) -> str:
    """The frame with lone-surrogate and NUL escapes removed; pairs and other escapes kept."""
    if "\\u" not in text:
        return text
    return _FRAME_ESCAPES.sub(lambda m: m.group(1) or m.group(2) or "", text)


class SocketTextGuard:
    """Cleans every incoming websocket text frame before Socket.IO decodes it.

    Removing a lone surrogate from the JSON text means no Python string with one is ever
    made, not even for Reflex's own log lines about a malformed event. (The event edge
    cleans the decoded payload as well.) A string with a lone surrogate must never reach
    a state var: Reflex encodes outgoing frames as UTF-8, where it cannot be sent.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return

        async def cleaned() -> Any:
            message = await receive()
            text = message.get("text") if message.get("type") == "websocket.receive" else None
            if text:
                message = {**message, "text": clean_frame(text)}
            return message

        await self.app(scope, cleaned, send)

"""Delivers bus events to the screens open in this worker.

A screen showing a chat registers its client token here; the listener task
re-reads the database into that screen's state through ``app.modify_state``.
Each worker keeps its own registry: a browser's websocket lives on one worker,
and with Redis every worker hears every event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from chat_crm import realtime

log = logging.getLogger(__name__)


# chat id -> {client token: state class showing it}
_viewers: dict[int, dict[str, type[rx.State]]] = {}
# client token -> (chat id, state class): one chat per screen at a time
_watching: dict[tuple[str, type[rx.State]], int] = {}


def watch(chat_id: int, token: str, state_cls: type[rx.State]) -> None:
    previous = _watching.get((token, state_cls))
    if previous is not None and previous != chat_id:
        _viewers.get(previous, {}).pop(token, None)
    _watching[(token, state_cls)] = chat_id
    _viewers.setdefault(chat_id, {})[token] = state_cls


def unwatch(token: str, state_cls: type[rx.State]) -> None:
    chat_id = _watching.pop((token, state_cls), None)
    if chat_id is not None:
        _viewers.get(chat_id, {}).pop(token, None)


def viewers_of(chat_id: int) -> list[tuple[str, type[rx.State]]]:
    return list(_viewers.get(chat_id, {}).items())


def _connected(app: rx.App, token: str) -> bool:
    """Whether the tab behind ``token`` still has its websocket on this worker.

    A closed tab must not keep reading messages (M11 counts them read).
    """
    namespace = app.event_namespace
    return namespace is None or token in namespace.token_to_sid


async def _deliver(app: rx.App, token: str, state_cls: type[rx.State], event: dict[str, Any]) -> None:
    if not _connected(app, token):
        unwatch(token, state_cls)
        return
    try:
        async with app.modify_state(rx.BaseStateToken(ident=token, cls=state_cls)) as root:
            screen = await root.get_state(state_cls)
            screen._apply_live_event(event)  # type: ignore[attr-defined]
    except Exception:  # one broken tab must not stop the others
        log.exception("live: delivery to %s failed", token)
        unwatch(token, state_cls)


async def run_listener(app: rx.App) -> None:
    """The lifespan task: forever, hand each chat event to the screens showing that chat."""
    while True:
        try:
            async for event in realtime.listen():
                chat_id = event.get("chat_id")
                if not isinstance(chat_id, int):
                    continue
                targets = viewers_of(chat_id)
                if targets:
                    await asyncio.gather(*(_deliver(app, token, cls, event) for token, cls in targets))
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis went away: wait, resubscribe; screens catch up by last id
            log.exception("live: listener failed, restarting")
            await asyncio.sleep(1)

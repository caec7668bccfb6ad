"""The event edge and the logging that user text cannot break (issue 9)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from chat_crm import edge, logging_setup
from chat_crm.db import DatabaseBusy


class FakeHandler:
    """Stands in for Reflex's EventHandler: the function and its resolved hints."""

    def __init__(self, fn: Any) -> None:
        import typing

        self.fn, self._type_hints = fn, typing.get_type_hints(fn)


def _handler(self: Any, message_id: int, text: str, form: dict[str, str], flag: bool = False) -> None: ...


HANDLER = FakeHandler(_handler)
OK = {"message_id": 5, "text": "привет", "form": {"text": "a"}}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({**OK, "message_id": "abc"}, "Некорректные данные запроса"),
        ({**OK, "message_id": 1.5}, "Некорректные данные запроса"),
        ({**OK, "message_id": True}, "Некорректные данные запроса"),
        ({**OK, "message_id": 2**63}, "Не найдено"),
        ({**OK, "text": ["list"]}, "Некорректные данные запроса"),
        ({**OK, "form": {"text": 5}}, "Некорректные данные запроса"),
        ({**OK, "form": "text"}, "Некорректные данные запроса"),
        ({**OK, "extra": 1}, "Некорректные данные запроса"),
        ({"message_id": 5, "text": "x"}, "Некорректные данные запроса"),
        ({**OK, "flag": "yes"}, "Некорректные данные запроса"),
    ],
)
def test_a_payload_that_does_not_fit_is_refused_in_russian(payload: dict[str, Any], message: str) -> None:
    with pytest.raises(edge.BadPayload) as err:
        edge.check_payload(HANDLER, payload)
    assert err.value.message == message


def test_a_fitting_payload_passes_and_numbers_as_text_are_reflexs_to_convert() -> None:
    edge.check_payload(HANDLER, OK)
    edge.check_payload(HANDLER, {**OK, "message_id": "42", "flag": True})


def test_strings_lose_lone_surrogates_and_nul_everywhere_but_keep_real_characters() -> None:
    dirty = {"a\ud800": ["x\x00y", {"k": "\udfffz😀\u202e"}], "n": 5}
    assert edge.clean(dirty) == {"a": ["xy", {"k": "z😀\u202e"}], "n": 5}


def test_a_websocket_frame_loses_lone_surrogate_and_nul_escapes_only() -> None:
    frame = r'42/_event,["event",{"payload":{"v":"a\ud800b\\ud800\ud83d\ude00\u0000c"}}]'
    assert edge.clean_frame(frame) == r'42/_event,["event",{"payload":{"v":"ab\\ud800\ud83d\ude00c"}}]'


def test_errors_become_russian_and_unexpected_ones_carry_a_code(caplog: pytest.LogCaptureFixture) -> None:
    assert edge.russian_message(DatabaseBusy("База данных занята. Повторите попытку.")) == (
        "База данных занята. Повторите попытку."
    )
    try:
        raise RuntimeError("db") from OverflowError("Python int too large to convert to SQLite INTEGER")
    except RuntimeError as err:
        assert edge.russian_message(err) == "Не найдено"
    with caplog.at_level(logging.ERROR, logger="chat_crm.edge"):
        text = edge.russian_message(KeyError("x"))
    code = text.rsplit(" ", 1)[1]
    assert text.startswith("Что-то пошло не так. Код ошибки: ") and code in caplog.text
    events = edge.backend_exception_handler(ValueError("boom"))
    assert "An error occurred" not in str(events)


def test_a_lone_surrogate_cannot_break_logging() -> None:
    logging_setup.install()
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")  # strict, as a log file is
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.edge.surrogate")
    logger.addHandler(handler)
    try:
        logger.warning("user typed %s", "a\ud800b")
        logger.warning("and then %s", "more")
        stream.flush()
    finally:
        logger.removeHandler(handler)
    written = raw.getvalue().decode()
    assert "user typed a\\ud800b" in written and "and then more" in written

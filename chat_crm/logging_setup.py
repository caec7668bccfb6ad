"""Logging that user text can never break.

A lone surrogate (``\\ud800``) in a logged value used to raise UnicodeEncodeError in
the stream handler («Logging error…»), and from then on that worker's log was broken.
Streams escape what they cannot encode, and a filter escapes every record's message
before any handler formats it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

_INSTALLED = False


def safe_text(value: Any) -> str:
    """``str(value)`` with lone surrogates and NUL escaped, so any encoder takes it."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


class SafeTextFilter(logging.Filter):
    """Renders the record's message once, escaped; the handler then formats plain text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in a caller: keep what there is
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = safe_text(message), None
        return True


def _safe_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot be reconfigured: the filter still holds
                pass


def install() -> None:
    """Once per process: safe stdout/stderr, and the filter on every handler there is."""
    global _INSTALLED
    _safe_streams()
    safe = SafeTextFilter()
    known = logging.Logger.manager.loggerDict.values()
    loggers = [logging.getLogger(), *(lg for lg in known if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, SafeTextFilter) for f in handler.filters):
                handler.addFilter(safe)
    if not _INSTALLED:
        # Handlers added later (uvicorn's, granian's) get it through the record factory.
        old_factory = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = old_factory(*args, **kwargs)
            SafeTextFilter().filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _INSTALLED = True

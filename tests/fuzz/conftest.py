"""The fuzz suite drives the real app (``chat_crm.serve``, SQLite, the demo) over Socket.IO."""

from __future__ import annotations

from tests.e2e.conftest import app_server  # noqa: F401  the same running app as the browser tests

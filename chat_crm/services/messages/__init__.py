"""Messages of a conversation: sending, changing, reading (M1, M2, M5–M11).

One module per concern; this package exports what the screens call.
"""

from chat_crm.services.messages.changes import (
    delete_client_message,
    delete_employee_message,
    edit_client_message,
    edit_employee_message,
)
from chat_crm.services.messages.reading import (
    LiveBatch,
    UnreadCounts,
    client_chat_id,
    live_batch,
    mark_read_by_client,
    mark_read_by_employee,
    messages_for_client,
    messages_for_employee,
    unread_counts,
    unread_for_client,
)
from chat_crm.services.messages.rules import (
    CLIENT_EDIT_WINDOW,
    HISTORY_LIMIT,
    MAX_TEXT,
    check_client_msg_id,
    check_text,
    clean_text,
    client_may_change,
    employee_may_change,
    parse_id,
)
from chat_crm.services.messages.send import (
    CloseReason,
    check_client_may_send,
    close_dialog,
    closing_text,
    send_client_message,
    send_employee_message,
)
from chat_crm.services.messages.views import (
    MessageFacts,
    MessageView,
    TextPart,
    Viewer,
    read_up_to,
    text_parts,
    view_for,
    with_day_breaks,
)

__all__ = [
    "CLIENT_EDIT_WINDOW",
    "HISTORY_LIMIT",
    "MAX_TEXT",
    "CloseReason",
    "LiveBatch",
    "MessageFacts",
    "MessageView",
    "TextPart",
    "UnreadCounts",
    "Viewer",
    "check_client_may_send",
    "check_client_msg_id",
    "check_text",
    "clean_text",
    "client_chat_id",
    "client_may_change",
    "close_dialog",
    "closing_text",
    "delete_client_message",
    "delete_employee_message",
    "edit_client_message",
    "edit_employee_message",
    "employee_may_change",
    "live_batch",
    "mark_read_by_client",
    "mark_read_by_employee",
    "messages_for_client",
    "messages_for_employee",
    "parse_id",
    "read_up_to",
    "send_client_message",
    "send_employee_message",
    "text_parts",
    "unread_counts",
    "unread_for_client",
    "view_for",
    "with_day_breaks",
]

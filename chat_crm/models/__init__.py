"""All tables, imported so SQLModel.metadata knows every one of them."""

from chat_crm.models.api import ApiEvent, DeviceToken
from chat_crm.models.base import UTCDateTime, utcnow
from chat_crm.models.canned import CannedReply
from chat_crm.models.chat import (
    Attachment,
    AuthorKind,
    BotStep,
    Chat,
    ChatChange,
    DeepLinkKind,
    DialogMark,
    DialogState,
    Message,
    Topic,
)
from chat_crm.models.inbox import LIST_INDEXES  # noqa: F401  the list's indexes (migration 0006)
from chat_crm.models.notify import (
    ClientNotification,
    OutboxItem,
    OutboxStatus,
    PushSubscription,
    StaffNotification,
    Timer,
)
from chat_crm.models.org import (
    AuthSession,
    Department,
    DepartmentRouting,
    Employee,
    PartnerSettings,
    Role,
    RoutingPolicy,
)
from chat_crm.models.realty import (
    Acceptance,
    Building,
    Channel,
    Client,
    ClientUnit,
    Project,
    Unit,
    UnitStatus,
)
from chat_crm.models.reports import REPORT_INDEXES, DialogRecord  # noqa: F401  «Отчеты» (0013)
from chat_crm.models.security import LoginThrottle, LoginTicket
from chat_crm.models.settings import (
    BotSettings,
    ChatSettings,
    EmployeePreference,
    TopicRule,
    TopicRuleProject,
)

__all__ = [
    "Acceptance",
    "ApiEvent",
    "DeviceToken",
    "Attachment",
    "AuthSession",
    "AuthorKind",
    "BotSettings",
    "BotStep",
    "Building",
    "CannedReply",
    "Channel",
    "Chat",
    "ChatChange",
    "ChatSettings",
    "Client",
    "ClientNotification",
    "ClientUnit",
    "DeepLinkKind",
    "DialogMark",
    "DialogRecord",
    "Department",
    "DepartmentRouting",
    "DialogState",
    "Employee",
    "EmployeePreference",
    "LoginThrottle",
    "LoginTicket",
    "Message",
    "OutboxItem",
    "OutboxStatus",
    "PartnerSettings",
    "Project",
    "PushSubscription",
    "Role",
    "RoutingPolicy",
    "StaffNotification",
    "Timer",
    "Topic",
    "TopicRule",
    "TopicRuleProject",
    "Unit",
    "UnitStatus",
    "UTCDateTime",
    "utcnow",
]

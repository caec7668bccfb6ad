"""The CRM frame: navigation «Поддержка» → «Чат» / «Настройки»."""

from __future__ import annotations

import reflex as rx

from chat_crm.states.presence import PresenceState
from chat_crm.states.session import SessionState
from chat_crm.texts import t


def _presence() -> rx.Component:
    """«В сети» / «Не в сети» (P11): one click; while away, no routing policy picks this employee."""
    online = PresenceState.online
    return rx.button(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background=rx.cond(online, "var(--green-9)", "var(--gray-8)"),
        ),
        rx.cond(online, t("presence.online"), t("presence.offline")),
        variant="soft",
        size="1",
        color_scheme=rx.cond(online, "green", "gray"),
        title=rx.cond(online, t("presence.hint_online"), t("presence.hint_offline")),
        aria_pressed=rx.cond(online, "false", "true"),
        data_testid="presence",
        on_click=PresenceState.toggle,
        on_mount=PresenceState.load,
    )


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="2", weight="medium")


def _inbox() -> rx.Component:
    """«Уведомления»: the employee's in-app notifications, newest first."""
    inbox = SessionState.inbox
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                t("nav.notifications"),
                rx.cond(
                    inbox.unread > 0, rx.badge(inbox.unread, color_scheme="red", data_testid="inbox-badge")
                ),
                variant="soft",
                size="1",
            )
        ),
        rx.popover.content(
            rx.cond(
                inbox.latest.length() > 0,
                rx.vstack(
                    rx.foreach(
                        inbox.latest,
                        lambda n: rx.link(
                            rx.text(n.text, size="2"),
                            rx.text(n.when, size="1", color_scheme="gray"),
                            href="/support/chats/" + n.chat_id.to_string(),
                            data_testid="notification",
                        ),
                    ),
                    spacing="2",
                    max_height="360px",
                    overflow_y="auto",
                ),
                rx.text(t("nav.no_notifications"), size="2", color_scheme="gray"),
            ),
            width="360px",
        ),
        on_open_change=SessionState.open_inbox,
    )


def _push_control() -> rx.Component:
    """One click turns on Web Push for this browser (N1); assets/push.js does the work and
    asks the browser's permission only then. The texts come from texts.py via data-*."""
    return rx.hstack(
        rx.button(t("push.enable"), id="push-toggle", variant="ghost", size="1", type="button"),
        # Announced when filled, but not a second "status" role beside a page's «сохранено».
        rx.text("", id="push-status", size="1", color_scheme="red", custom_attrs={"aria-live": "polite"}),
        rx.el.span(
            id="push-texts",
            display="none",
            custom_attrs={
                "data-enable": t("push.enable"),
                "data-enabled": t("push.enabled"),
                "data-unsupported": t("push.unsupported"),
                "data-denied": t("push.denied"),
                "data-failed": t("push.failed"),
            },
        ),
        rx.script(src="/push.js"),
        spacing="2",
        align="center",
    )


def crm_layout(*children: rx.Component, title: str | rx.Var) -> rx.Component:
    header = rx.hstack(
        rx.heading(t("app.title"), size="5"),
        rx.hstack(
            rx.text(t("nav.support"), color_scheme="gray", size="2"),
            _nav_link(t("nav.chat"), "/support/chats"),
            rx.cond(SessionState.can_open_settings, _nav_link(t("nav.settings"), "/support/settings")),
            # P14: «Поддержка» → «Отчеты»; shown by the right, which every event re-checks itself.
            rx.cond(
                SessionState.permissions.contains("support_reports"),
                _nav_link(t("nav.reports"), "/support/reports"),
            ),
            rx.cond(
                SessionState.can_open_roles,
                rx.hstack(
                    rx.text(f"{t('nav.settings')} → {t('nav.employees')}", color_scheme="gray", size="2"),
                    _nav_link(t("nav.roles"), "/settings/roles"),
                    spacing="2",
                ),
            ),
            # P17: «Настройки» → «Сотрудники»; shown by the right, which the page re-checks itself.
            rx.cond(
                SessionState.permissions.contains("employees"),
                _nav_link(t("nav.employees"), "/settings/employees"),
            ),
            spacing="4",
            align="center",
            flex_wrap="wrap",
        ),
        rx.spacer(),
        rx.cond(SessionState.inbox, _inbox()),
        rx.cond(SessionState.inbox, _push_control()),
        rx.text(SessionState.employee_name, size="2", data_testid="employee-name"),
        rx.cond(SessionState.employee_name != "", _presence()),
        rx.button(t("nav.logout"), variant="soft", size="1", on_click=SessionState.logout),
        align="center",
        spacing="5",
        # On a phone the header wraps onto two lines instead of widening the page.
        flex_wrap="wrap",
        padding="12px 20px",
        border_bottom="1px solid var(--gray-5)",
        width="100%",
    )
    return rx.box(
        header,
        rx.box(rx.heading(title, size="6", margin_bottom="16px"), *children, padding="20px"),
        width="100%",
    )


def error_callout(message: rx.Var[str], **props: object) -> rx.Component:
    """A refusal, in Russian, only while there is one; screen readers hear it at once."""
    return rx.cond(message != "", rx.callout(message, color_scheme="red", role="alert", **props))


def notice_callout(message: rx.Var[str], **props: object) -> rx.Component:
    """«Сохранено» and the like, only while there is one."""
    return rx.cond(message != "", rx.callout(message, color_scheme="green", role="status", **props))

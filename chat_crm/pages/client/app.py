"""The simulated mobile app: a picker (who, which OS) above a phone-sized frame."""

from __future__ import annotations

import reflex as rx

from chat_crm.components.composer import composer
from chat_crm.components.message_list import conversation_frame, message_list, typing_indicator
from chat_crm.pages.client.alerts import count_badge, home_strip, notifications_screen, push_banner
from chat_crm.services.bot import UnitChoice
from chat_crm.services.deeplinks import UnitLine
from chat_crm.states.client_app import ClientAppState as S
from chat_crm.states.client_app import UnsentMessage
from chat_crm.texts import t


def _picker() -> rx.Component:
    return rx.hstack(
        rx.text(t("app.who"), size="2"),
        rx.el.select(
            rx.el.option(t("app.anonymous"), value="anonymous"),
            rx.foreach(S.demo_clients, lambda c: rx.el.option(c.name, value=c.id.to_string())),
            value=S.picked,
            on_change=S.set_picked,
            aria_label=t("app.who"),
            style={"padding": "4px", "maxWidth": "320px"},
        ),
        rx.text(t("app.channel"), size="2"),
        rx.el.select(
            rx.el.option("iOS", value="ios"),
            rx.el.option("Android", value="android"),
            value=S.channel,
            on_change=S.set_channel,
            aria_label=t("app.channel"),
            style={"padding": "4px"},
        ),
        rx.button(t("app.open"), on_click=S.open_app, size="1"),
        rx.el.label(
            rx.hstack(
                rx.switch(checked=S.offline, on_change=S.set_offline, aria_label=t("app.offline")),
                rx.text(t("app.offline"), size="2"),
                align="center",
            ),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
        padding="12px",
    )


def _bottom_menu() -> rx.Component:
    return rx.hstack(
        rx.button(
            t("app.storefront"),
            count_badge(S.unread, "storefront-badge"),
            variant="ghost",
            on_click=S.show("storefront"),
        ),
        rx.button(
            t("app.notifications"),
            count_badge(S.unseen, "notifications-badge"),
            variant="ghost",
            on_click=S.show_notifications,
        ),
        rx.button(t("app.profile"), variant="ghost", disabled=True),
        justify="between",
        padding="10px 16px",
        border_top="1px solid var(--gray-5)",
        width="100%",
    )


def _unread_badge() -> rx.Component:
    return count_badge(S.unread, "unread-badge")


def _storefront() -> rx.Component:
    return rx.vstack(
        rx.heading(t("app.storefront"), size="5"),
        rx.text(t("app.projects"), size="2", color_scheme="gray"),
        rx.foreach(S.projects, lambda name: rx.card(rx.text(name, size="2"), width="100%", flex_shrink="0")),
        rx.cond(
            S.unit_cards.length() > 0,
            rx.vstack(
                rx.text(t("app.my_units"), size="2", color_scheme="gray"),
                rx.foreach(
                    S.unit_cards,
                    lambda c: rx.button(
                        c.title,
                        ": ",
                        c.caption,
                        variant="surface",
                        width="100%",
                        # A long address wraps inside the button instead of spilling out of it.
                        height="auto",
                        min_height="32px",
                        padding="6px 12px",
                        white_space="normal",
                        text_align="left",
                        justify_content="start",
                        on_click=S.open_unit_card(c.id),
                        data_testid="unit-card-button",
                    ),
                ),
                width="100%",
            ),
        ),
        rx.cond(
            S.intro.chat_visible,
            rx.button(t("app.contact_us"), _unread_badge(), on_click=S.show("contact"), width="100%"),
        ),
        rx.cond(
            S.screen == "contact",
            rx.card(
                rx.vstack(
                    rx.text(t("app.contact_us"), weight="bold"),
                    rx.button(t("app.write_to_chat"), _unread_badge(), on_click=S.open_chat(0), width="100%"),
                    rx.button("Закрыть", variant="soft", on_click=S.show("storefront"), width="100%"),
                ),
                width="100%",
            ),
        ),
        spacing="3",
        padding="16px",
        width="100%",
        overflow_y="auto",
        flex="1",
    )


def _unsent_bubble(item: rx.Var[UnsentMessage]) -> rx.Component:
    """A message the network lost (M8): kept, marked, and offered again."""
    return rx.box(
        rx.cond(item.file_name != "", rx.text("📎 ", item.file_name, size="1")),
        rx.text(item.text, size="2", white_space="pre-wrap"),
        rx.hstack(
            rx.text("⚠ " + t("message.unsent"), size="1", color_scheme="red"),
            rx.button(t("message.retry"), size="1", variant="soft", on_click=S.retry(item.id)),
            rx.button(t("message.copy"), size="1", variant="soft", on_click=S.copy_text(item.text)),
            rx.button(
                t("message.delete"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.drop_unsent(item.id),
            ),
            spacing="2",
            wrap="wrap",
        ),
        align_self="flex-end",
        max_width="85%",
        padding="8px 12px",
        border_radius="12px",
        border="1px dashed var(--red-8)",
        data_testid="unsent-message",
    )


def _unit_slide(unit: rx.Var[UnitChoice]) -> rx.Component:
    return rx.button(
        rx.vstack(
            rx.text(unit.project, size="1", weight="bold"),
            rx.text(unit.building, " · ", unit.number, size="1"),
            rx.badge(unit.status, size="1"),
            spacing="1",
            align="start",
        ),
        variant="outline",
        height="auto",
        padding="8px",
        min_width="150px",
        on_click=S.pick_unit(unit.id),
        data_testid="unit-choice",
    )


def _bot_panel() -> rx.Component:
    """The bot's question as buttons: a slider of units (B2, B3), or the topics (B4, B5)."""
    panel = S.panel
    return rx.match(
        panel.step,
        (
            "choose_unit",
            rx.vstack(
                rx.cond(
                    panel.units.length() > 0,
                    rx.fragment(
                        rx.hstack(
                            rx.foreach(panel.units, _unit_slide),
                            overflow_x="auto",
                            width="100%",
                            padding_bottom="4px",
                            data_testid="unit-slider",
                        ),
                        rx.button(t("bot.choice.no_unit"), variant="soft", on_click=S.pick_other("no_unit")),
                    ),
                    rx.hstack(
                        rx.button(
                            t("bot.choice.purchase"), variant="soft", on_click=S.pick_other("purchase")
                        ),
                        rx.button(t("bot.choice.other"), variant="soft", on_click=S.pick_other("other")),
                        wrap="wrap",
                    ),
                ),
                width="100%",
                data_testid="bot-panel",
            ),
        ),
        (
            "choose_topic",
            rx.vstack(
                rx.hstack(
                    rx.foreach(
                        panel.topics,
                        lambda x: rx.button(x.label, variant="soft", on_click=S.pick_topic(x.value)),
                    ),
                    wrap="wrap",
                ),
                rx.button("← " + t("bot.back"), variant="ghost", on_click=S.bot_back),
                width="100%",
                data_testid="bot-panel",
            ),
        ),
        rx.fragment(),
    )


def _unit_card_screen() -> rx.Component:
    """A booking, deal or acceptance card, with the chat entry where the bot covers it (B10)."""
    card = S.unit_card
    return rx.vstack(
        rx.hstack(
            rx.button("← " + t("app.back"), variant="ghost", on_click=S.show("storefront")),
            rx.heading(card.title, size="4"),
            align="center",
        ),
        rx.card(rx.text(card.caption, size="2"), width="100%"),
        rx.cond(
            card.chat_entry,
            rx.popover.root(
                rx.popover.trigger(rx.button(t("app.contact_us"), _unread_badge(), width="100%")),
                rx.popover.content(
                    rx.button(
                        t("app.write_to_chat"), _unread_badge(), on_click=S.open_chat(card.id), width="100%"
                    )
                ),
            ),
        ),
        spacing="3",
        padding="16px",
        width="100%",
        flex="1",
        data_testid="unit-card",
    )


def _chat() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            # While the bot offers topics its own «← Назад» (B5) is the one on screen;
            # «Витрина» below still leaves the chat.
            rx.cond(
                S.panel.step == "choose_topic",
                rx.fragment(),
                rx.button("← " + t("app.back"), variant="ghost", on_click=S.leave_chat),
            ),
            rx.heading(t("app.chat_title"), size="4"),
            align="center",
        ),
        conversation_frame(
            S,
            rx.cond(
                (S.messages.length() + S.fresh.length() == 0) & (S.panel.step == ""),
                rx.card(
                    rx.text(S.intro.welcome_title, weight="bold"),
                    rx.text(S.intro.welcome_text, size="2"),
                    data_testid="welcome-stub",
                ),
            ),
            rx.vstack(
                message_list(S, empty="", open_link=S.open_link),
                _bot_panel(),
                rx.foreach(S.unsent, _unsent_bubble),
                spacing="2",
                width="100%",
                align="stretch",
            ),
            rx.cond(
                S.intro.show_consent,
                rx.text(t("app.consent"), size="1", color_scheme="gray", data_testid="consent"),
            ),
            testid="app-conversation",
            grow=True,
            padding="8px",
        ),
        typing_indicator(S),
        rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", role="alert")),
        composer(
            state=S,
            upload_id="app-file",
            placeholder=t("app.placeholder"),
            send_label=t("app.send"),
            multiline=False,
        ),
        height="100%",
        padding="8px",
        width="100%",
    )


def _unit_line(line: rx.Var[UnitLine]) -> rx.Component:
    return rx.card(
        rx.text(line.caption, size="2", weight="medium"),
        rx.text(line.details, size="1", color_scheme="gray"),
        rx.text(line.price, size="2"),
        width="100%",
        flex_shrink="0",  # a long list scrolls; the cards keep their height
        data_testid="unit-line",
    )


def _units(lines: rx.Var[list[UnitLine]], empty: str) -> rx.Component:
    return rx.cond(
        lines.length() > 0, rx.foreach(lines, _unit_line), rx.text(empty, size="2", color_scheme="gray")
    )


def _calculator() -> rx.Component:
    def field(name: str, label: str, value: rx.Var[str]) -> rx.Component:
        return rx.el.label(
            rx.text(label, size="1"),
            rx.input(name=name, default_value=value, input_mode="decimal", aria_label=label),
            width="100%",
        )

    return rx.form(
        rx.vstack(
            field("price", t("calc.price"), S.calc_price),
            field("down", t("calc.down"), S.calc_down),
            field("years", t("calc.years"), S.calc_years),
            field("rate", t("calc.rate"), S.calc_rate),
            rx.button(t("calc.submit"), type="submit", width="100%"),
            rx.cond(S.calc_error != "", rx.text(S.calc_error, color_scheme="red", size="2", role="alert")),
            rx.cond(
                S.calc_result != "",
                rx.hstack(
                    rx.text(t("calc.result"), size="2"),
                    rx.text(S.calc_result, weight="bold", data_testid="calc-result"),
                ),
            ),
            width="100%",
        ),
        on_submit=S.calculate,
        width="100%",
    )


def _link_screen() -> rx.Component:
    """The screen a deep link opens (X1): the project, its ready units, the calculator, installments."""
    link = S.link
    return rx.vstack(
        rx.hstack(
            rx.button("← " + t("app.back"), variant="ghost", on_click=S.back_to_chat),
            rx.heading(link.title, size="4"),
            align="center",
        ),
        rx.cond(
            link.image != "", rx.image(src=link.image, alt=link.title, width="100%", border_radius="8px")
        ),
        rx.cond(link.subtitle != "", rx.text(link.subtitle, size="2", color_scheme="gray")),
        rx.cond(link.description != "", rx.text(link.description, size="2")),
        rx.match(
            link.kind,
            ("ready_units", _units(link.units, t("link.no_units"))),
            ("mortgage_calculator", _calculator()),
            (
                "installments",
                rx.vstack(
                    rx.heading(t("link.active_installments"), size="3"),
                    _units(link.units, t("link.no_installments")),
                    rx.heading(t("link.finished_installments"), size="3"),
                    _units(link.finished, t("link.no_installments")),
                    width="100%",
                ),
            ),
            rx.fragment(),
        ),
        spacing="3",
        padding="16px",
        width="100%",
        overflow_y="auto",
        flex="1",
        data_testid="link-screen",
    )


def client_app_page() -> rx.Component:
    phone = rx.box(
        rx.cond(
            S.opened,
            rx.vstack(
                home_strip(),
                push_banner(),
                rx.match(
                    S.screen,
                    ("chat", _chat()),
                    ("link", _link_screen()),
                    ("unit", _unit_card_screen()),
                    ("notifications", notifications_screen()),
                    _storefront(),
                ),
                _bottom_menu(),
                rx.script(src="/phone.js"),
                height="100%",
                spacing="0",
                position="relative",
            ),
            rx.center(rx.text("Выберите клиента и нажмите «Открыть приложение»", size="2"), height="100%"),
        ),
        width="390px",
        height="760px",
        border="10px solid #222",
        border_radius="36px",
        overflow="hidden",
        background="var(--color-background)",
        data_testid="phone",
    )
    return rx.vstack(_picker(), phone, align="center", padding="12px")

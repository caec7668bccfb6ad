"""E-mail alerts for employees (N1): Russian text plus HTML, sent by the outbox.

With SMTP_HOST set, aiosmtplib sends through that server; without it (the demo default)
each mail is written to ``MAIL_DIR`` (``<data dir>/mail``) as ``<outbox id>.eml``.
"""

from __future__ import annotations

import asyncio
import html
import os
import socket
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import aiosmtplib
from sqlmodel import Session

from chat_crm.config import get_settings
from chat_crm.db import get_engine
from chat_crm.models import Employee
from chat_crm.services.outbox import Claimed, GiveUp, RetryLater
from chat_crm.texts import t


def chat_url(chat_id: int) -> str:
    return f"{get_settings().base_url}/support/chats/{chat_id}"


def alert_bodies(headline: str, preview: str, link: str) -> tuple[str, str]:
    """The plain text and the HTML of an alert; everything user-written is escaped in HTML."""
    text = "\n\n".join(p for p in (headline, preview, t("mail.open_chat") + ": " + link) if p)
    quoted = f"<blockquote>{html.escape(preview)}</blockquote>" if preview else ""
    markup = (
        '<!doctype html><html lang="ru"><body>'
        f"<p>{html.escape(headline)}</p>{quoted}"
        f'<p><a href="{html.escape(link, quote=True)}">{html.escape(t("mail.open_chat"))}</a></p>'
        "</body></html>"
    )
    return text, markup


def message_id(outbox_id: int) -> str:
    """Deterministic, so a crash-resend of the same row carries the same Message-ID."""
    domain = get_settings().smtp_sender.rpartition("@")[2] or "localhost"
    return f"<outbox-{outbox_id}@{domain}>"


def build_message(item: Claimed, to: str) -> EmailMessage:
    s = get_settings()
    msg = EmailMessage()
    msg["Subject"] = str(item.payload.get("subject", ""))
    msg["From"] = s.smtp_sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(item.id)
    msg.set_content(str(item.payload.get("text", "")))
    msg.add_alternative(str(item.payload.get("html", "")), subtype="html")
    return msg


def _recipient(item: Claimed) -> str:
    with Session(get_engine()) as session:
        employee = session.get(Employee, item.employee_id) if item.employee_id else None
        if employee is None or not employee.is_active or not employee.email:
            raise GiveUp("no active recipient")
        return employee.email


def _write_eml(msg: EmailMessage, outbox_id: int) -> None:
    folder = get_settings().mail_dir
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{outbox_id}.eml"
    tmp = folder / f".{outbox_id}.eml.tmp"
    tmp.write_bytes(bytes(msg))
    os.replace(tmp, final)  # a resend after a crash overwrites the same file: never two copies


async def _smtp_send(msg: EmailMessage) -> None:
    s = get_settings()
    await aiosmtplib.send(
        msg,
        hostname=s.smtp_host,
        port=s.smtp_port,
        username=s.smtp_user or None,
        password=s.smtp_password or None,
        start_tls=s.smtp_starttls,
        timeout=20,
    )


def deliver(item: Claimed) -> None:
    """The outbox's handler for e-mail rows (runs in a worker thread, no event loop)."""
    msg = build_message(item, _recipient(item))
    if not get_settings().smtp_host:
        _write_eml(msg, item.id)
        return
    try:
        asyncio.run(_smtp_send(msg))
    except aiosmtplib.SMTPRecipientsRefused as err:
        raise GiveUp(f"recipient refused: {err}") from err
    except (aiosmtplib.SMTPException, OSError, socket.gaierror, TimeoutError) as err:
        raise RetryLater(f"smtp: {err}") from err


def eml_path(outbox_id: int) -> Path:
    return get_settings().mail_dir / f"{outbox_id}.eml"

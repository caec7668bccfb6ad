"""Push tokens of the partner's iOS and Android apps (P15), kept for a later provider (APNs, FCM)."""

from __future__ import annotations

from sqlmodel import col, select

from chat_crm.db import unit_of_work
from chat_crm.models import DeviceToken, utcnow
from chat_crm.services.access import access_client
from chat_crm.services.errors import ServiceError
from chat_crm.texts import t

PLATFORMS = ("ios", "android")


def register_device(*, client_id: int, platform: str, token: str) -> None:
    """Keep the app's token for the client; a token seen before moves to this client (a new sign-in)."""
    token = token.strip()
    if platform not in PLATFORMS or not 8 <= len(token) <= 4096 or not token.isprintable():
        raise ServiceError(t("api.error.device_token"), field="token")
    with unit_of_work() as work:
        client = access_client(work.session, client_id)
        row = work.session.exec(select(DeviceToken).where(col(DeviceToken.token) == token)).first()
        row = row or DeviceToken(client_id=client.id or 0, platform=platform, token=token)
        row.client_id, row.platform, row.created_at = client.id or 0, platform, utcnow()
        work.session.add(row)

"""The mobile app's HTTP API ``/api/v1`` (P15): FastAPI over the same services as the screens."""

from chat_crm.api.app import api_app

__all__ = ["api_app"]

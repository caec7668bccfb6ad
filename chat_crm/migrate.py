"""Bring the database at DATABASE_URL to the newest schema."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from chat_crm.config import PROJECT_ROOT


def upgrade_to_head() -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    command.upgrade(config, "head")


if __name__ == "__main__":
    upgrade_to_head()

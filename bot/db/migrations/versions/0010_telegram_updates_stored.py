"""Telegram updates are stored before they are acknowledged, and processed after a restart like
SMS: the update itself (JSON), its person's pseudonym (SUPPRIMER removes it), a status
(received, processing, processed, failed), attempts, the last error. Rows already there were
processed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_updates") as batch:
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("person_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), nullable=False,
                                   server_default="processed"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_channel_updates_person_key", ["person_key"])
        batch.create_index("ix_channel_updates_status", ["status"])


def downgrade() -> None:
    with op.batch_alter_table("channel_updates") as batch:
        batch.drop_index("ix_channel_updates_status")
        batch.drop_index("ix_channel_updates_person_key")
        for column in ("updated_at", "last_error", "attempts", "status", "person_key", "payload"):
            batch.drop_column(column)

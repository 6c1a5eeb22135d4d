"""Telegram: updates seen (each update_id is processed once) and the choices last offered in a
chat (inline buttons carry only their number; the number is read back against them).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_updates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("update_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("channel", "update_id", name="uq_channel_updates_channel_update"),
    )
    op.create_table(
        "chat_choices",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chat_choices")
    op.drop_table("channel_updates")

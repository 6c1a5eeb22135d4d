"""SMS messages in and out (Twilio): persisted before processing, deduplicated by MessageSid,
with segments, encoding and the delivery status reported by Twilio.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),  # "in" | "out"
        sa.Column("message_sid", sa.String(64), nullable=True, unique=True),
        sa.Column("person_key", sa.String(64), nullable=True, index=True),
        sa.Column("phone", sa.String(32), nullable=True),  # E.164; blanked by SUPPRIMER
        sa.Column("body", sa.Text(), nullable=True),  # blanked by SUPPRIMER
        sa.Column("buttons", sa.JSON(), nullable=True),  # out: the choices offered (titles, payloads)
        sa.Column("encoding", sa.String(8), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sms_messages_phone_direction", "sms_messages", ["phone", "direction"])
    op.create_index("ix_sms_messages_status", "sms_messages", ["status"])


def downgrade() -> None:
    op.drop_table("sms_messages")

"""Webinars: the Métropole's information sessions for commune staff and elected officials, and
the registrations to them (registered, waiting, cancelled), one per email and session.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webinar_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("audience", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_webinar_sessions_start_at", "webinar_sessions", ["start_at"])
    op.create_table(
        "webinar_registrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("webinar_sessions.id"),
                  nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("commune_insee", sa.String(5), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("session_id", "email_key", name="uq_webinar_registrations_session_email"),
    )
    op.create_index("ix_webinar_registrations_session_id_status", "webinar_registrations",
                    ["session_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_webinar_registrations_session_id_status", "webinar_registrations")
    op.drop_table("webinar_registrations")
    op.drop_index("ix_webinar_sessions_start_at", "webinar_sessions")
    op.drop_table("webinar_sessions")

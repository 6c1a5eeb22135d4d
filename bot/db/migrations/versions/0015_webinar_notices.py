"""Webinars, second part: the secret of each registration's links, its person's pseudonym, offers of a freed seat
(offered_at, offer_expires_at), attendance, the invitation's sequence, and the notices the
scheduler sends (reminders, offers, changes, invitations by email).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webinar_sessions") as batch:
        batch.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("webinar_registrations") as batch:
        batch.add_column(sa.Column("token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("person_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("offered_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("offer_expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("attended", sa.Boolean(), nullable=True))
        batch.create_unique_constraint("uq_webinar_registrations_token", ["token"])
        batch.create_index("ix_webinar_registrations_person_key", ["person_key"])
    op.create_table(
        "webinar_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("registration_id", sa.Integer(), sa.ForeignKey("webinar_registrations.id"),
                  nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("medium", sa.String(8), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_webinar_notices_registration_id", "webinar_notices", ["registration_id"])
    op.create_index("ix_webinar_notices_status_due_at", "webinar_notices", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_webinar_notices_status_due_at", "webinar_notices")
    op.drop_index("ix_webinar_notices_registration_id", "webinar_notices")
    op.drop_table("webinar_notices")
    with op.batch_alter_table("webinar_registrations") as batch:
        batch.drop_index("ix_webinar_registrations_person_key")
        batch.drop_constraint("uq_webinar_registrations_token", type_="unique")
        for column in ("attended", "offer_expires_at", "offered_at", "person_key", "token"):
            batch.drop_column(column)
    with op.batch_alter_table("webinar_sessions") as batch:
        batch.drop_column("sequence")

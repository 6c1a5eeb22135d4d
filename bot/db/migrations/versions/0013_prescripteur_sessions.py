"""A prescripteur's session: the conversation that entered an organisation's code, until when it
lasts, the prescripteur's first name; a referral made in it names it, so that the prescripteur
can be told when the person confirms and when the structure records the outcome. For the
programme's funnel: the conversations started (counted once a month each, under a keyed hash
that changes every month; a prescripteur's person each time), and the organisation of a
diagnostic made at a counter.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prescripteur_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("code_id", sa.Integer(), sa.ForeignKey("organisation_codes.id"),
                  nullable=False),
        sa.Column("first_name", sa.String(60), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_prescripteur_sessions_conversation", "prescripteur_sessions",
                    ["conversation"])
    op.create_index("ix_prescripteur_sessions_organisation_id", "prescripteur_sessions",
                    ["organisation_id"])
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("prescripteur_session_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_referrals_prescripteur_session_id", "prescripteur_sessions",
                                 ["prescripteur_session_id"], ["id"])
    with op.batch_alter_table("diagnostic_results") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    op.create_table(
        "conversation_starts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"),
                  nullable=True),
        sa.Column("conversation_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("month", "conversation_hash", name="uq_conversation_starts_month_hash"),
    )


def downgrade() -> None:
    op.drop_table("conversation_starts")
    with op.batch_alter_table("diagnostic_results") as batch:
        batch.drop_column("organisation_id")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_constraint("fk_referrals_prescripteur_session_id", type_="foreignkey")
        batch.drop_column("prescripteur_session_id")
    op.drop_index("ix_prescripteur_sessions_organisation_id", "prescripteur_sessions")
    op.drop_index("ix_prescripteur_sessions_conversation", "prescripteur_sessions")
    op.drop_table("prescripteur_sessions")

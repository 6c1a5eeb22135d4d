"""Prescripteur organisations and their access codes (kept as keyed hashes), and the wrong
codes typed in conversations (to slow down guessing).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("commune_insee", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
    )
    op.create_table(
        "organisation_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"),
                  nullable=False, index=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(160), nullable=True),
    )
    op.create_table(
        "code_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False, index=True),
    )
    op.create_index("ix_code_failures_sender_hash_failed_at", "code_failures",
                    ["sender_hash", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_code_failures_sender_hash_failed_at", "code_failures")
    op.drop_table("code_failures")
    op.drop_table("organisation_codes")
    op.drop_table("organisations")

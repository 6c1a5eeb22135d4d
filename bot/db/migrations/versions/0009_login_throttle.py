"""Back-office logins: wrong passwords counted by source address and e-mail (keyed hashes of
both, kept 15 minutes) instead of locking the account (bot/web/backoffice/throttle.py). The
accounts' failed_logins and locked_until columns are no longer used.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_failures_source_hash_failed_at", "login_failures",
                    ["source_hash", "failed_at"])
    op.create_index("ix_login_failures_email_hash_failed_at", "login_failures",
                    ["email_hash", "failed_at"])
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])
    op.create_index("ix_login_failures_account_id", "login_failures", ["account_id"])
    # Accounts locked by the former rule are unlocked: no account is locked any more.
    op.execute("UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL")


def downgrade() -> None:
    op.drop_table("login_failures")

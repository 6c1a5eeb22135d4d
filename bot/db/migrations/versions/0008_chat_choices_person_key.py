"""Chat choices carry the pseudonym of their chat's person, so that SUPPRIMER (which knows only
the pseudonym) deletes them. Rows already there keep NULL: erasure matches them by computing
their chat's pseudonym, and the retention purge deletes them once old.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_choices") as batch:
        batch.add_column(sa.Column("person_key", sa.String(64), nullable=True))
        batch.create_index("ix_chat_choices_person_key", ["person_key"])


def downgrade() -> None:
    with op.batch_alter_table("chat_choices") as batch:
        batch.drop_index("ix_chat_choices_person_key")
        batch.drop_column("person_key")

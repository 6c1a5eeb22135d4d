"""A referral made by a prescripteur names its organisation and the prescripteur's first name,
and records when the person confirmed it themselves (their own "OUI", and on which channel); a
person's consent records how it was given (by themselves, or at a prescripteur's counter).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("consent_method", sa.String(64), nullable=True))
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prescripteur_first_name", sa.String(60), nullable=True))
        batch.add_column(sa.Column("person_confirmed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("person_confirmed_channel", sa.String(32), nullable=True))
        batch.create_foreign_key("fk_referrals_organisation_id", "organisations",
                                 ["organisation_id"], ["id"])
        batch.create_index("ix_referrals_organisation_id", ["organisation_id"])


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_index("ix_referrals_organisation_id")
        batch.drop_constraint("fk_referrals_organisation_id", type_="foreignkey")
        for column in ("person_confirmed_channel", "person_confirmed_at",
                       "prescripteur_first_name", "organisation_id"):
            batch.drop_column(column)
    with op.batch_alter_table("people") as batch:
        batch.drop_column("consent_method")

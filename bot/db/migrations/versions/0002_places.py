"""Places of digital mediation (national standard "lieux de médiation numérique" v1.0.2).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("pk", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(255), nullable=False),
        # The 32 fields of the standard (its `source` is `source_structure` here).
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("pivot", sa.String(14), nullable=False),
        sa.Column("nom", sa.Text(), nullable=False),
        sa.Column("commune", sa.Text(), nullable=False),
        sa.Column("code_postal", sa.String(5), nullable=False),
        sa.Column("code_insee", sa.String(5), nullable=True),
        sa.Column("adresse", sa.Text(), nullable=False),
        sa.Column("complement_adresse", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("typologie", sa.JSON(), nullable=False),
        sa.Column("telephone", sa.String(16), nullable=True),
        sa.Column("courriels", sa.JSON(), nullable=False),
        sa.Column("site_web", sa.JSON(), nullable=False),
        sa.Column("horaires", sa.Text(), nullable=True),
        sa.Column("presentation_resume", sa.Text(), nullable=True),
        sa.Column("presentation_detail", sa.Text(), nullable=True),
        sa.Column("source_structure", sa.Text(), nullable=True),
        sa.Column("itinerance", sa.JSON(), nullable=False),
        sa.Column("structure_parente", sa.Text(), nullable=True),
        sa.Column("date_maj", sa.Date(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("publics_specifiquement_adresses", sa.JSON(), nullable=False),
        sa.Column("prise_en_charge_specifique", sa.JSON(), nullable=False),
        sa.Column("frais_a_charge", sa.JSON(), nullable=False),
        sa.Column("dispositif_programmes_nationaux", sa.JSON(), nullable=False),
        sa.Column("formations_labels", sa.JSON(), nullable=False),
        sa.Column("autres_formations_labels", sa.Text(), nullable=True),
        sa.Column("modalites_acces", sa.JSON(), nullable=False),
        sa.Column("modalites_accompagnement", sa.JSON(), nullable=False),
        sa.Column("fiche_acces_libre", sa.Text(), nullable=True),
        sa.Column("prise_rdv", sa.Text(), nullable=True),
        # The programme's own fields.
        sa.Column("partner", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("booking_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("source", "id", name="uq_places_source_id"),
    )
    op.create_index("ix_places_code_insee", "places", ["code_insee"])
    op.create_index("ix_places_code_postal", "places", ["code_postal"])


def downgrade() -> None:
    op.drop_index("ix_places_code_postal", table_name="places")
    op.drop_index("ix_places_code_insee", table_name="places")
    op.drop_table("places")

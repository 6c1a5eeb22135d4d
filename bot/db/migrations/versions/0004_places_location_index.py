"""Index on the places' coordinates, for the nearest-place search (bounding-box prefilter).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_places_latitude_longitude", "places", ["latitude", "longitude"])


def downgrade() -> None:
    op.drop_index("ix_places_latitude_longitude", table_name="places")

"""Booking: partner agendas (weekly hours, closures), seats, bookings, referrals, reminders.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agendas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("what_to_bring", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("place_pk", "key", name="uq_agendas_place_key"),
    )
    op.create_index("ix_agendas_place_pk", "agendas", ["place_pk"])
    op.create_table(
        "agenda_hours",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agenda_id", sa.Integer(), sa.ForeignKey("agendas.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.UniqueConstraint("agenda_id", "weekday", "start", name="uq_agenda_hours"),
    )
    op.create_index("ix_agenda_hours_agenda_id", "agenda_hours", ["agenda_id"])
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=False),
        sa.Column("agenda_id", sa.Integer(), sa.ForeignKey("agendas.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_closures_place_pk", "closures", ["place_pk"])
    op.create_table(
        "slot_seats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agenda_id", sa.Integer(), sa.ForeignKey("agendas.id"), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.UniqueConstraint("agenda_id", "start", name="uq_slot_seats_agenda_start"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("first_name", sa.String(80), nullable=True),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=False),
        sa.Column("agenda_id", sa.Integer(), sa.ForeignKey("agendas.id"), nullable=False),
        sa.Column("slot_seat_id", sa.Integer(), sa.ForeignKey("slot_seats.id"), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("end", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
    )
    op.create_index("ix_bookings_person_key", "bookings", ["person_key"])
    op.create_index("ix_bookings_place_pk", "bookings", ["place_pk"])
    op.create_index("ix_bookings_start", "bookings", ["start"])
    # One open booking per person and place: a partial unique index, on both databases.
    op.create_index("uq_bookings_open_person_place", "bookings", ["person_key", "place_pk"],
                    unique=True, sqlite_where=sa.text("is_open = 1"),
                    postgresql_where=sa.text("is_open"))
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("diagnostic_id", sa.Integer(),
                  sa.ForeignKey("diagnostic_results.id", ondelete="SET NULL"), nullable=True),
        sa.Column("level", sa.String(32), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("grid_version", sa.String(32), nullable=True),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=False),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("bookings.id"), nullable=True),
        sa.Column("slot_start", sa.DateTime(), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("oriented_by", sa.String(64), nullable=False),
        sa.Column("oriented_by_organisation", sa.String(120), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("booking_id", name="uq_referrals_booking_id"),
    )
    op.create_index("ix_referrals_person_key", "referrals", ["person_key"])
    op.create_index("ix_referrals_place_pk", "referrals", ["place_pk"])
    op.create_index("ix_referrals_status", "referrals", ["status"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("bookings.id"), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_reminders_booking_id", "reminders", ["booking_id"])
    op.create_index("ix_reminders_status_due_at", "reminders", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_table("referrals")
    op.drop_index("uq_bookings_open_person_place", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("slot_seats")
    op.drop_table("closures")
    op.drop_table("agenda_hours")
    op.drop_table("agendas")

"""Funding ledger, audit log, person merges, back-office accounts and sessions, booking notices.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

- referrals gain the date of the accompaniment and the time it was recorded;
- referral_events is the append-only audit log of every status change (triggers refuse UPDATE
  and DELETE, on SQLite and PostgreSQL alike);
- person_merges maps a person key to the key it was merged into;
- funding_years holds one row per programme year: the lock that serialises the cap, and the
  validation (frozen report) of the year;
- funding_entries: one row per (year, person) counted, with its rank and whether it is funded;
- funding_adjustments: changes to a validated year, never silent;
- staff_accounts / web_sessions: the back-office's logins;
- agendas remember an edit made in the back-office (`npt partners load` then keeps its hours);
- reminders gain a kind: "reminder" (the day before) or "structure_cancelled" (the structure
  cancelled the booking and the person must be told).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_APPEND_ONLY = "referral_events is append-only"


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("accompanied_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("recorded_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False,
                                   server_default="reminder"))
    with op.batch_alter_table("agendas") as batch:
        batch.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("edited_by", sa.String(160), nullable=True))

    op.create_table(
        "referral_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("accompanied_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_referral_events_referral_id", "referral_events", ["referral_id"])
    op.create_index("ix_referral_events_at", "referral_events", ["at"])

    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("from_key", sa.String(64), nullable=False, unique=True),
        sa.Column("into_key", sa.String(64), nullable=False, index=True),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("merged_by", sa.String(160), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )

    op.create_table(
        "funding_years",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("validated_at", sa.DateTime(), nullable=True),
        sa.Column("validated_by", sa.String(160), nullable=True),
        sa.Column("validated_persons", sa.Integer(), nullable=True),
        sa.Column("validated_amount_cents", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )

    op.create_table(
        "funding_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("referral_id", sa.Integer(), sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=True),
        sa.Column("accompanied_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("funded", sa.Boolean(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.UniqueConstraint("year", "person_key", name="uq_funding_entries_year_person"),
        sa.UniqueConstraint("year", "rank", name="uq_funding_entries_year_rank"),
    )
    op.create_index("ix_funding_entries_place_pk", "funding_entries", ["place_pk"])

    op.create_table(
        "funding_adjustments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False, index=True),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=True),
        sa.Column("persons_delta", sa.Integer(), nullable=False),
        sa.Column("amount_cents_delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(160), nullable=False),
    )

    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("place_pk", sa.Integer(), sa.ForeignKey("places.pk"), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.Integer(),
                  sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER referral_events_no_{verb.lower()}
                BEFORE {verb} ON referral_events
                BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END
            """)
    elif dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION referral_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER referral_events_append_only
            BEFORE UPDATE OR DELETE ON referral_events
            FOR EACH ROW EXECUTE FUNCTION referral_events_append_only()
        """)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS referral_events_append_only ON referral_events")
        op.execute("DROP FUNCTION IF EXISTS referral_events_append_only()")
    for table in ("web_sessions", "staff_accounts", "funding_adjustments", "funding_entries",
                  "funding_years", "person_merges", "referral_events"):
        op.drop_table(table)
    with op.batch_alter_table("agendas") as batch:
        batch.drop_column("edited_by")
        batch.drop_column("edited_at")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("recorded_at")
        batch.drop_column("accompanied_on")

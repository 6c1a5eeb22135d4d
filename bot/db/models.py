"""Tables of the assistant's own data. Persons are known only by their pseudonym."""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer,
                        String, Text, Time, UniqueConstraint, false, text)
from sqlalchemy.orm import declarative_base

from bot.clock import now_db as utcnow  # naive UTC: the columns' default

Base = declarative_base()


class Person(Base):
    """A person, by the keyed hash of their channel identity; never the raw number or id."""

    __tablename__ = "people"

    person_key = Column(String(64), primary_key=True)
    consent_at = Column(DateTime, nullable=True)
    consent_method = Column(String(64), nullable=True)  # "self", or "prescripteur:<organisation id>"
    opted_out_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class StoredDiagnostic(Base):
    """One completed diagnostic, with the grid version that scored it."""

    __tablename__ = "diagnostic_results"

    id = Column(Integer, primary_key=True)
    person_key = Column(String(64), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    organisation_id = Column(Integer, nullable=True)  # made at this organisation's counter
    grid_version = Column(String(32), nullable=False)
    level = Column(String(32), nullable=False)
    score = Column(Integer, nullable=False)
    area_scores = Column(JSON, nullable=False)
    services = Column(JSON, nullable=False)
    accompaniment = Column(String(64), nullable=False)
    support = Column(JSON, nullable=False)
    answers = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class Place(Base):
    """A place of digital mediation, as in the national standard "lieux de médiation numérique".

    Every one of the standard's 32 fields (v1.0.2) has a column of the same name, except the
    standard's `source` (the structure that collected the data), kept in `source_structure`
    because `source` here names the file or importer the row came from. Fields holding several
    `|`-separated values are JSON lists (empty list when empty). `partner` and
    `booking_enabled` belong to the programme: an import never changes them.
    """

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("source", "id", name="uq_places_source_id"),
                      Index("ix_places_latitude_longitude", "latitude", "longitude"))

    pk = Column(Integer, primary_key=True)
    source = Column(String(255), nullable=False)
    # The 32 fields of the standard, in its order.
    id = Column(String(255), nullable=False)
    pivot = Column(String(14), nullable=False)
    nom = Column(Text, nullable=False)
    commune = Column(Text, nullable=False)
    code_postal = Column(String(5), nullable=False, index=True)
    code_insee = Column(String(5), nullable=True, index=True)
    adresse = Column(Text, nullable=False)
    complement_adresse = Column(Text, nullable=True)
    latitude = Column(Float, nullable=True)
    longitude = Column(Float, nullable=True)
    typologie = Column(JSON, nullable=False, default=list)
    telephone = Column(String(16), nullable=True)
    courriels = Column(JSON, nullable=False, default=list)
    site_web = Column(JSON, nullable=False, default=list)
    horaires = Column(Text, nullable=True)
    presentation_resume = Column(Text, nullable=True)
    presentation_detail = Column(Text, nullable=True)
    source_structure = Column(Text, nullable=True)
    itinerance = Column(JSON, nullable=False, default=list)
    structure_parente = Column(Text, nullable=True)
    date_maj = Column(Date, nullable=False)
    services = Column(JSON, nullable=False, default=list)
    publics_specifiquement_adresses = Column(JSON, nullable=False, default=list)
    prise_en_charge_specifique = Column(JSON, nullable=False, default=list)
    frais_a_charge = Column(JSON, nullable=False, default=list)
    dispositif_programmes_nationaux = Column(JSON, nullable=False, default=list)
    formations_labels = Column(JSON, nullable=False, default=list)
    autres_formations_labels = Column(Text, nullable=True)
    modalites_acces = Column(JSON, nullable=False, default=list)
    modalites_accompagnement = Column(JSON, nullable=False, default=list)
    fiche_acces_libre = Column(Text, nullable=True)
    prise_rdv = Column(Text, nullable=True)
    # The programme's own fields.
    partner = Column(Boolean, nullable=False, default=False, server_default=false())
    booking_enabled = Column(Boolean, nullable=False, default=False, server_default=false())
    imported_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


# -- Booking: partner agendas, seats, bookings, referrals, reminders (migration 0003) -----------
# Times are stored as naive UTC, like every other table here; bot/booking converts to and from
# Europe/Paris at its edges. Weekly hours are wall-clock times in Europe/Paris.


class Agenda(Base):
    """A bookable agenda of a partner place: individual appointments or a collective workshop.

    Loaded from data/partners/*.yml by `npt partners load`; `key` names it inside its place so
    that loading the file again updates, never duplicates. An agenda removed from the file (or
    whose place is no longer a partner) is kept, inactive, because bookings point at it.
    """

    __tablename__ = "agendas"
    __table_args__ = (UniqueConstraint("place_pk", "key", name="uq_agendas_place_key"),)

    id = Column(Integer, primary_key=True)
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=False, index=True)
    key = Column(String(64), nullable=False)
    label = Column(String(120), nullable=False)
    kind = Column(String(16), nullable=False)  # "individual" | "collective"
    slot_minutes = Column(Integer, nullable=False)
    seats = Column(Integer, nullable=False)
    what_to_bring = Column(JSON, nullable=True)  # None: the default list of data/booking.yml
    active = Column(Boolean, nullable=False, default=True)
    # Set when the structure changed the hours, slot length or seats in the back-office: loading
    # the partners file again keeps them (unless `npt partners load --override`).
    edited_at = Column(DateTime, nullable=True)
    edited_by = Column(String(160), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class AgendaHours(Base):
    """A weekly opening of an agenda: on `weekday` (0 = Monday), slots from `start` to `end`."""

    __tablename__ = "agenda_hours"
    __table_args__ = (UniqueConstraint("agenda_id", "weekday", "start", name="uq_agenda_hours"),)

    id = Column(Integer, primary_key=True)
    agenda_id = Column(Integer, ForeignKey("agendas.id", ondelete="CASCADE"), nullable=False,
                       index=True)
    weekday = Column(Integer, nullable=False)
    start = Column(Time, nullable=False)
    end = Column(Time, nullable=False)


class Closure(Base):
    """Days a place (or one of its agendas) takes no appointment, both dates included.

    `origin` is "file" for closures of data/partners (replaced at each load) and "operator" for
    those added with `npt partners closure add` (kept across loads).
    """

    __tablename__ = "closures"

    id = Column(Integer, primary_key=True)
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=False, index=True)
    agenda_id = Column(Integer, ForeignKey("agendas.id", ondelete="CASCADE"), nullable=True)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    reason = Column(Text, nullable=False)
    origin = Column(String(16), nullable=False, default="file")
    created_at = Column(DateTime, nullable=False, default=utcnow)


class SlotSeats(Base):
    """Seats taken in one slot of an agenda, made on the first booking of that slot.

    Seats are taken with `UPDATE ... SET taken = taken + 1 WHERE id = ? AND taken < seats`,
    checked by its row count: never oversold, on SQLite as on PostgreSQL.
    """

    __tablename__ = "slot_seats"
    __table_args__ = (UniqueConstraint("agenda_id", "start", name="uq_slot_seats_agenda_start"),)

    id = Column(Integer, primary_key=True)
    agenda_id = Column(Integer, ForeignKey("agendas.id"), nullable=False)
    start = Column(DateTime, nullable=False)
    taken = Column(Integer, nullable=False, default=0)


class Booking(Base):
    """An appointment of a person at a partner place.

    `sender_id`, `channel` and `first_name` are contact data, kept only to confirm and remind;
    `bot.booking.forget_contact` blanks them when the person asks for erasure (SUPPRIMER).
    `is_open` is true while the booking is booked and not yet over: at most one open booking per
    person and place (partial unique index, SQLite and PostgreSQL).
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_bookings_reference"),
        Index("uq_bookings_open_person_place", "person_key", "place_pk", unique=True,
              sqlite_where=text("is_open = 1"), postgresql_where=text("is_open")),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False)
    person_key = Column(String(64), nullable=False, index=True)
    sender_id = Column(String(255), nullable=True)
    channel = Column(String(32), nullable=False)
    first_name = Column(String(80), nullable=True)
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=False, index=True)
    agenda_id = Column(Integer, ForeignKey("agendas.id"), nullable=False)
    slot_seat_id = Column(Integer, ForeignKey("slot_seats.id"), nullable=False)
    start = Column(DateTime, nullable=False, index=True)
    end = Column(DateTime, nullable=False)
    status = Column(String(16), nullable=False, default="booked")  # "booked" | "cancelled"
    is_open = Column(Boolean, nullable=False, default=True)
    cancelled_at = Column(DateTime, nullable=True)
    cancelled_by = Column(String(16), nullable=True)  # "person" | "structure" | "admin"
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class Referral(Base):
    """An orientation: who (pseudonym), which diagnostic, where, which booking, who oriented.

    Status: booked -> accompanied | absent | cancelled (bot.referrals.ReferralStatus).
    """

    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("booking_id", name="uq_referrals_booking_id"),)

    id = Column(Integer, primary_key=True)
    person_key = Column(String(64), nullable=False, index=True)
    diagnostic_id = Column(Integer, ForeignKey("diagnostic_results.id", ondelete="SET NULL"),
                           nullable=True)
    level = Column(String(32), nullable=True)
    services = Column(JSON, nullable=False, default=list)
    grid_version = Column(String(32), nullable=True)
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=False, index=True)
    booking_id = Column(Integer, ForeignKey("bookings.id"), nullable=True)
    slot_start = Column(DateTime, nullable=True)
    channel = Column(String(32), nullable=False)
    oriented_by = Column(String(64), nullable=False, default="assistant")
    oriented_by_organisation = Column(String(120), nullable=True)
    organisation_id = Column(Integer, ForeignKey("organisations.id"), nullable=True, index=True)
    prescripteur_first_name = Column(String(60), nullable=True)
    person_confirmed_at = Column(DateTime, nullable=True)  # the person's own "OUI"
    person_confirmed_channel = Column(String(32), nullable=True)
    # The prescripteur's session the referral was made in: told of the confirmation, the outcome.
    prescripteur_session_id = Column(Integer, ForeignKey("prescripteur_sessions.id"), nullable=True)
    status = Column(String(16), nullable=False, default="booked", index=True)
    accompanied_on = Column(Date, nullable=True)  # the day the person was accompanied
    recorded_at = Column(DateTime, nullable=True)  # when that was recorded (ranks the funding)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ReferralEvent(Base):
    """One status change of a referral: who, when, from, to. Append-only (database triggers)."""

    __tablename__ = "referral_events"

    id = Column(Integer, primary_key=True)
    referral_id = Column(Integer, ForeignKey("referrals.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(160), nullable=False)  # "assistant", an account's email, "cli:<user>"
    actor_role = Column(String(16), nullable=False)  # person | assistant | structure | admin | cli
    from_status = Column(String(16), nullable=True)  # None when the referral is created
    to_status = Column(String(16), nullable=False)
    accompanied_on = Column(Date, nullable=True)
    note = Column(Text, nullable=True)


class PersonMerge(Base):
    """`from_key` is the same person as `into_key` (merged by an admin); keys chain."""

    __tablename__ = "person_merges"

    id = Column(Integer, primary_key=True)
    from_key = Column(String(64), nullable=False, unique=True)
    into_key = Column(String(64), nullable=False, index=True)
    merged_at = Column(DateTime, nullable=False, default=utcnow)
    merged_by = Column(String(160), nullable=False)
    reason = Column(Text, nullable=False)


class FundingYear(Base):
    """A programme year: the row locked to serialise the cap; its validation (frozen report)."""

    __tablename__ = "funding_years"

    year = Column(Integer, primary_key=True, autoincrement=False)
    validated_at = Column(DateTime, nullable=True)
    validated_by = Column(String(160), nullable=True)
    validated_persons = Column(Integer, nullable=True)
    validated_amount_cents = Column(Integer, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class FundingEntry(Base):
    """A person counted in a year: their first accompaniment of that year, ranked by the time it
    was recorded; funded while rank <= the year's cap (else hors plafond, amount 0)."""

    __tablename__ = "funding_entries"
    __table_args__ = (UniqueConstraint("year", "person_key", name="uq_funding_entries_year_person"),
                      UniqueConstraint("year", "rank", name="uq_funding_entries_year_rank"))

    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False)
    person_key = Column(String(64), nullable=False)  # the canonical key (after merges)
    referral_id = Column(Integer, ForeignKey("referrals.id"), nullable=False)
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=False, index=True)
    organisation = Column(String(120), nullable=True)  # the prescripteur's, None: the assistant
    accompanied_on = Column(Date, nullable=False)
    recorded_at = Column(DateTime, nullable=False)
    rank = Column(Integer, nullable=False)
    funded = Column(Boolean, nullable=False)
    amount_cents = Column(Integer, nullable=False)


class FundingAdjustment(Base):
    """A change to a validated year, recorded instead of silently changing its figures."""

    __tablename__ = "funding_adjustments"

    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False, index=True)
    person_key = Column(String(64), nullable=False)
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=False)
    organisation = Column(String(120), nullable=True)
    persons_delta = Column(Integer, nullable=False)  # +1 newly funded, -1 no longer funded
    amount_cents_delta = Column(Integer, nullable=False)
    reason = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by = Column(String(160), nullable=False)


class StaffAccount(Base):
    """A back-office login: a structure's staff (sees only `place_pk`) or a Métropole admin."""

    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)  # stored lower-case
    display_name = Column(String(120), nullable=False)
    password_hash = Column(String(255), nullable=False)  # argon2id
    role = Column(String(16), nullable=False)  # "structure" | "admin"
    place_pk = Column(Integer, ForeignKey("places.pk"), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime, nullable=True)
    last_login_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    account_id = Column(Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)


class Reminder(Base):
    """A reminder of a booking, due at `due_at` (UTC); just a row, so a restart loses none.

    Status: pending -> sending (claimed) -> sent | pending again (failed attempt, retried) |
    failed (after the last attempt); or cancelled (booking cancelled or moved, contact erased),
    skipped_opt_out (the person said STOP), expired (the appointment began before it was sent).
    """

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)

    id = Column(Integer, primary_key=True)
    booking_id = Column(Integer, ForeignKey("bookings.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False, default="reminder",
                  server_default="reminder")  # "reminder" | "structure_cancelled"
    due_at = Column(DateTime, nullable=False)
    status = Column(String(20), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    claimed_at = Column(DateTime, nullable=True)
    sent_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class SmsMessage(Base):
    """An SMS received or sent (Twilio). Inbound: stored before processing, once per MessageSid
    (status received -> processing -> processed | failed). Outbound: queued -> sent (Twilio took
    it) -> delivered | undelivered | failed (status callback), with its segments and encoding."""

    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_phone_direction", "phone", "direction"),)

    id = Column(Integer, primary_key=True)
    direction = Column(String(3), nullable=False)  # "in" | "out"
    message_sid = Column(String(64), nullable=True, unique=True)
    person_key = Column(String(64), nullable=True, index=True)  # the pseudonym of the number
    phone = Column(String(32), nullable=True)  # E.164; blanked by SUPPRIMER
    body = Column(Text, nullable=True)  # blanked by SUPPRIMER
    buttons = Column(JSON, nullable=True)  # out: the choices offered ({"title", "payload"})
    encoding = Column(String(8), nullable=True)  # "GSM-7" | "UCS-2"
    segments = Column(Integer, nullable=True)
    status = Column(String(16), nullable=False, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ChannelUpdate(Base):
    """An update received from a channel (Telegram's update_id): processed once."""

    __tablename__ = "channel_updates"
    __table_args__ = (UniqueConstraint("channel", "update_id",
                                       name="uq_channel_updates_channel_update"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    update_id = Column(String(64), nullable=False)
    received_at = Column(DateTime, nullable=False, default=utcnow)
    # Stored before the update is acknowledged (migration 0010): processed after a restart.
    payload = Column(Text, nullable=True)  # the update's JSON; None once processed or erased
    person_key = Column(String(64), nullable=True, index=True)
    status = Column(String(16), nullable=False, default="processed", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    updated_at = Column(DateTime, nullable=True)


class ChatChoices(Base):
    """The choices last offered in a chat; a button press says only its number."""

    __tablename__ = "chat_choices"

    channel = Column(String(32), primary_key=True)
    chat_id = Column(String(64), primary_key=True)
    buttons = Column(JSON, nullable=False)
    # The pseudonym of the chat's person: SUPPRIMER finds their chats by it (migration 0008).
    person_key = Column(String(64), nullable=True, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class Organisation(Base):
    """A prescripteur organisation (a La Poste counter, a social landlord, a CCAS...), created by
    the Métropole; its prescripteurs enter the prescripteur mode with one of its codes."""

    __tablename__ = "organisations"

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False, unique=True)
    kind = Column(String(32), nullable=False)
    commune_insee = Column(String(5), nullable=False)  # the member commune it serves
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by = Column(String(160), nullable=False)


class OrganisationCode(Base):
    """An access code of an organisation: only its keyed hash is kept (the code is shown once,
    at creation); a revoked code opens nothing."""

    __tablename__ = "organisation_codes"

    id = Column(Integer, primary_key=True)
    organisation_id = Column(Integer, ForeignKey("organisations.id"), nullable=False, index=True)
    code_hash = Column(String(64), nullable=False, unique=True)
    hint = Column(String(8), nullable=False)  # the code's last characters, to tell codes apart
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by = Column(String(160), nullable=False)
    revoked_at = Column(DateTime, nullable=True)
    revoked_by = Column(String(160), nullable=True)


class CodeFailure(Base):
    """A wrong organisation code typed in a conversation (keyed hash of the conversation id):
    counted to slow down guessing; no row older than the window is kept."""

    __tablename__ = "code_failures"
    __table_args__ = (Index("ix_code_failures_sender_hash_failed_at", "sender_hash", "failed_at"),)

    id = Column(Integer, primary_key=True)
    sender_hash = Column(String(64), nullable=False)
    failed_at = Column(DateTime, nullable=False, index=True)


class PrescripteurSession(Base):
    """A conversation in prescripteur mode: opened by an organisation's code, for a limited
    time (data/prescripteurs.yml), ended earlier by a new code or the code's revocation."""

    __tablename__ = "prescripteur_sessions"

    id = Column(Integer, primary_key=True)
    conversation = Column(String(255), nullable=False, index=True)  # the namespaced sender id
    channel = Column(String(32), nullable=False)  # the output channel that reaches it
    organisation_id = Column(Integer, ForeignKey("organisations.id"), nullable=False, index=True)
    code_id = Column(Integer, ForeignKey("organisation_codes.id"), nullable=False)
    first_name = Column(String(60), nullable=True)
    started_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    ended_at = Column(DateTime, nullable=True)


class ConversationStart(Base):
    """A conversation started, for the programme's funnel: counted once a month (a keyed hash
    of the conversation and the month, which links nothing across months); at a prescripteur's
    counter, each new person."""

    __tablename__ = "conversation_starts"
    __table_args__ = (UniqueConstraint("month", "conversation_hash",
                                       name="uq_conversation_starts_month_hash"),)

    id = Column(Integer, primary_key=True)
    month = Column(String(7), nullable=False)  # "2026-12", Europe/Paris
    channel = Column(String(32), nullable=False)
    organisation_id = Column(Integer, ForeignKey("organisations.id"), nullable=True)
    conversation_hash = Column(String(64), nullable=False)


class WebinarSession(Base):
    """A webinar of the Métropole for commune staff and elected officials."""

    __tablename__ = "webinar_sessions"

    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    start_at = Column(DateTime, nullable=False, index=True)  # naive UTC
    minutes = Column(Integer, nullable=False)
    capacity = Column(Integer, nullable=False)
    link = Column(String(500), nullable=False)  # the visio link
    audience = Column(String(200), nullable=True)
    description = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by = Column(String(160), nullable=False)
    # Written first by every registration: the row the seats are counted under.
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    # Raised at each change of time or link: the invitation's SEQUENCE (RFC 5545), so that a
    # calendar replaces the old event.
    sequence = Column(Integer, nullable=False, default=0, server_default="0")


class WebinarRegistration(Base):
    """One person's place in a webinar: registered, waiting (the waiting list, first come first
    served), or cancelled. One row per email and session."""

    __tablename__ = "webinar_registrations"
    __table_args__ = (
        UniqueConstraint("session_id", "email_key", name="uq_webinar_registrations_session_email"),
        Index("ix_webinar_registrations_session_id_status", "session_id", "status"),
    )

    id = Column(Integer, primary_key=True)
    session_id = Column(Integer, ForeignKey("webinar_sessions.id"), nullable=False)
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False)
    email_key = Column(String(254), nullable=False)  # the address as compared (lower case)
    commune_insee = Column(String(5), nullable=False)
    role = Column(String(16), nullable=False)  # "agent" | "elu" | "autre"
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(255), nullable=True)  # the conversation, for reminders and offers
    # "registered" | "waiting" | "offered" (a freed seat is held for them until
    # offer_expires_at) | "expired" (an offer not taken in time: never offered again) |
    # "cancelled"
    status = Column(String(16), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    # The secret of the registration's links (the invitation, the cancellation): only the
    # person who received it can use them.
    token = Column(String(64), nullable=True, unique=True)
    # The pseudonym of the conversation's person: SUPPRIMER and the export find it by this.
    person_key = Column(String(64), nullable=True, index=True)
    offered_at = Column(DateTime, nullable=True)
    offer_expires_at = Column(DateTime, nullable=True)
    attended = Column(Boolean, nullable=True)  # marked by the organisers after the session


class WebinarNotice(Base):
    """A message about a registration that the scheduler sends on its own (`npt webinars
    send`): by chat, in the conversation the person registered from, or by email. Same life as
    a reminder: pending -> sending -> sent | failed | uncertain, or cancelled / skipped."""

    __tablename__ = "webinar_notices"
    __table_args__ = (Index("ix_webinar_notices_status_due_at", "status", "due_at"),)

    id = Column(Integer, primary_key=True)
    registration_id = Column(Integer, ForeignKey("webinar_registrations.id"), nullable=False,
                             index=True)
    kind = Column(String(32), nullable=False)  # a key of data/webinars.yml `notices`
    medium = Column(String(8), nullable=False)  # "chat" | "email"
    due_at = Column(DateTime, nullable=False)
    status = Column(String(20), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    claimed_at = Column(DateTime, nullable=True)
    sent_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)

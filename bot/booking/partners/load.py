"""Writing a checked partners file into the database, in one transaction: `npt partners load`.

The file is the list of partners: a place that is no longer in it stops being a partner (its
agendas become inactive; its bookings stay and are reported). Loading the same file twice
changes nothing. Closures added with `npt partners closure add` are kept across loads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.booking.partners.database import check_database, local_date, place_ref, upcoming_rows
from bot.booking.partners.file import (DEFAULT_PARTNERS_FILE, PartnerSpec, check_partners,
                                       read_partners_file)
from bot.clock import aware, now_paris, to_db
from bot.db.models import Agenda, AgendaHours, Closure, Place, utcnow
from bot.db.session import session_scope


@dataclass
class LoadReport:
    path: str
    partners: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    places_changed: int = 0
    agendas_created: int = 0
    agendas_updated: int = 0
    agendas_deactivated: int = 0
    hours_changed: int = 0
    closures_changed: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.places_changed or self.agendas_created
                    or self.agendas_updated or self.agendas_deactivated or self.hours_changed
                    or self.closures_changed)

    def lines(self) -> list[str]:
        out = [f"file: {self.path}", f"partners: {len(self.partners)}"]
        if not self.changed:
            out.append("no change (the database already matches the file)")
        else:
            out.extend(f"  now a partner: {name}" for name in self.added)
            out.extend(f"  no longer a partner: {name}" for name in self.removed)
            out.append(f"agendas: {self.agendas_created} created, {self.agendas_updated} updated, "
                       f"{self.agendas_deactivated} deactivated; weekly hours changed in "
                       f"{self.hours_changed}; closures changed at {self.closures_changed} places")
        out.extend(f"warning: {warning}" for warning in self.warnings)
        return out


def _name(place: Place) -> str:
    return f"{place.nom} ({place_ref(place)}, pk {place.pk})"


def _apply(session: Session, specs: list[PartnerSpec], report: LoadReport, now: datetime,
           override: bool = False) -> None:
    now_db, stamp = to_db(now), utcnow()
    wanted = {spec.place.pk: spec for spec in specs}
    current = session.execute(select(Place).where(
        or_(Place.partner.is_(True), Place.booking_enabled.is_(True)))).scalars().all()
    for place in current:
        if place.pk in wanted:
            continue
        place.partner, place.booking_enabled = False, False
        report.removed.append(_name(place))
        for agenda in session.execute(select(Agenda).where(Agenda.place_pk == place.pk,
                                                           Agenda.active.is_(True))).scalars():
            agenda.active, agenda.updated_at = False, stamp
            report.agendas_deactivated += 1
        session.execute(delete(Closure).where(Closure.place_pk == place.pk, Closure.origin == "file"))
        left = upcoming_rows(session, now_db, place_pk=place.pk)
        if left:
            report.warnings.append(f"{_name(place)} is no longer a partner but keeps {len(left)} "
                                   f"upcoming booking(s): {', '.join(b.reference for b in left)}")
    for spec in specs:
        place = spec.place
        report.partners.append(_name(place))
        if not place.partner:
            report.added.append(_name(place))
        if not place.partner or place.booking_enabled != spec.booking_enabled:
            if place.partner:
                report.places_changed += 1
            place.partner, place.booking_enabled = True, spec.booking_enabled
        existing = {a.key: a for a in session.execute(
            select(Agenda).where(Agenda.place_pk == place.pk)).scalars()}
        agenda_ids: dict[str, int] = {}
        for item in spec.agendas:
            agenda = existing.get(item.key)
            values = {"label": item.label, "kind": item.kind, "slot_minutes": item.slot_minutes,
                      "seats": item.seats, "what_to_bring": item.what_to_bring, "active": True}
            kept = agenda is not None and agenda.edited_at is not None and not override
            if kept:  # the structure's own hours, slot length and seats (back-office) stay
                del values["slot_minutes"], values["seats"], values["kind"]
                report.warnings.append(
                    f"agenda {item.key} of {_name(place)} keeps the hours, slot length and seats "
                    f"set in the back-office by {agenda.edited_by} (use --override to apply the file)")
            elif agenda is not None and agenda.edited_at is not None:
                agenda.edited_at, agenda.edited_by = None, None
            if agenda is None:
                agenda = Agenda(place_pk=place.pk, key=item.key, created_at=stamp, updated_at=stamp, **values)
                session.add(agenda)
                session.flush()
                report.agendas_created += 1
            elif any(getattr(agenda, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(agenda, name, value)
                agenda.updated_at = stamp
                report.agendas_updated += 1
            agenda_ids[item.key] = agenda.id
            if kept:
                continue
            have = {(h.weekday, h.start, h.end) for h in session.execute(
                select(AgendaHours).where(AgendaHours.agenda_id == agenda.id)).scalars()}
            want = {(h.weekday, h.start, h.end) for h in item.hours}
            if have != want:
                session.execute(delete(AgendaHours).where(AgendaHours.agenda_id == agenda.id))
                session.add_all(AgendaHours(agenda_id=agenda.id, weekday=d, start=s, end=e)
                                for d, s, e in sorted(want))
                report.hours_changed += 1
        for key, agenda in existing.items():
            if key not in agenda_ids and agenda.active:
                agenda.active, agenda.updated_at = False, stamp
                report.agendas_deactivated += 1
                left = upcoming_rows(session, now_db, agenda_id=agenda.id)
                if left:
                    report.warnings.append(f"agenda {key} of {_name(place)} is gone from the file "
                                           f"but keeps {len(left)} upcoming booking(s): "
                                           f"{', '.join(b.reference for b in left)}")
        have = {(c.agenda_id, c.start_date, c.end_date, c.reason) for c in session.execute(
            select(Closure).where(Closure.place_pk == place.pk, Closure.origin == "file")).scalars()}
        want = {(agenda_ids[c.agenda_key] if c.agenda_key else None, c.start, c.end, c.reason)
                for c in spec.closures}
        if have != want:
            session.execute(delete(Closure).where(Closure.place_pk == place.pk, Closure.origin == "file"))
            session.add_all(Closure(place_pk=place.pk, agenda_id=a, start_date=s, end_date=e,
                                    reason=r, origin="file", created_at=stamp)
                            for a, s, e, r in sorted(want, key=lambda c: (c[1], c[2], c[0] or 0, c[3])))
            report.closures_changed += 1
            session.flush()
            for closure in spec.closures:
                hit = [b for b in upcoming_rows(session, now_db, place_pk=place.pk)
                       if closure.start <= local_date(b.start) <= closure.end
                       and (closure.agenda_key is None or b.agenda_id == agenda_ids[closure.agenda_key])]
                if hit:
                    report.warnings.append(
                        f"{len(hit)} upcoming booking(s) of {_name(place)} fall in the closure "
                        f"{closure.start} to {closure.end}: {', '.join(b.reference for b in hit)} "
                        f"(they are not cancelled: tell the people, then cancel them)")


def load_partners(path: Path | str | None = None, url: str | None = None,
                  now: datetime | None = None, override: bool = False) -> LoadReport:
    """Make the partners in the database those of the file, in one transaction.

    An agenda whose hours, slot length or seats a structure changed in the back-office keeps
    them (a warning says so) unless `override`: then the file wins and the edit is forgotten.
    """
    path = Path(path) if path is not None else DEFAULT_PARTNERS_FILE
    entries = read_partners_file(path)
    check_database(url)
    now = aware(now, "now") if now is not None else now_paris()
    report = LoadReport(path=str(path))
    with session_scope(url) as session:
        specs = check_partners(session, entries, path)
        _apply(session, specs, report, now, override)
    return report

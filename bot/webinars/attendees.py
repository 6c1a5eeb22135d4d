"""The attendee list of a webinar session, for the organisers: registered first, then the
waiting list in its order; as CSV (French Excel: UTF-8 with a BOM, `;`) or XLSX. Text cells are
guarded against formula injection (bot.spreadsheets)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import case, select

from bot.clock import from_db
from bot.db.models import WebinarRegistration
from bot.db.session import session_scope
from bot.geo.communes import place as place_by_insee
from bot.spreadsheets import guard_text, xlsx_text
from bot.webinars.registrations import ROLES
from bot.webinars.seats import ACTIVE, OFFERED, REGISTERED

HEADERS = ["Nom", "E-mail", "Commune", "Code INSEE", "Rôle", "Statut", "Inscrit(e) le", "Canal",
           "Présent(e)"]
STATUS_LABELS = {REGISTERED: "Inscrit(e)", OFFERED: "Place proposée",
                 "waiting": "Liste d'attente"}
ATTENDED_LABELS = {True: "Oui", False: "Non", None: ""}


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    commune: str
    commune_insee: str
    role: str
    status: str
    registered_at: datetime  # aware, Europe/Paris
    channel: str
    registration_id: int = 0
    attended: bool | None = None  # marked by the organisers after the session

    def cells(self) -> list[str]:
        return [self.name, self.email, self.commune, self.commune_insee,
                ROLES.get(self.role, self.role), STATUS_LABELS.get(self.status, self.status),
                self.registered_at.strftime("%d/%m/%Y %H:%M"), self.channel,
                ATTENDED_LABELS[self.attended]]


def attendees(session_id: int, url: str | None = None) -> list[Attendee]:
    """Those with a seat, then an offered seat, then the waiting list in its order."""
    order = case((WebinarRegistration.status == REGISTERED, 0),
                 (WebinarRegistration.status == OFFERED, 1), else_=2)
    with session_scope(url) as session:
        rows = session.execute(select(WebinarRegistration).where(
            WebinarRegistration.session_id == session_id,
            WebinarRegistration.status.in_(ACTIVE))
            .order_by(order, WebinarRegistration.created_at, WebinarRegistration.id)).scalars().all()
        result = []
        for row in rows:
            commune = place_by_insee(row.commune_insee)
            result.append(Attendee(
                name=row.name, email=row.email,
                commune=commune.nom if commune is not None else row.commune_insee,
                commune_insee=row.commune_insee, role=row.role, status=row.status,
                registered_at=from_db(row.created_at), channel=row.channel,
                registration_id=row.id, attended=row.attended))
        return result


def attendees_csv(rows: list[Attendee]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([guard_text(cell) for cell in row.cells()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def attendees_xlsx(rows: list[Attendee], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Participants"
    sheet.append([xlsx_text(title)])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([xlsx_text(cell) for cell in row.cells()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

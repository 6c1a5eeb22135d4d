"""Back-office accounts: created from the CLI, passwords hashed with argon2id, guesses throttled
by source address (bot/web/backoffice/throttle.py).

Two roles: "structure" (the staff of one partner place: sees and changes only that place's
bookings, referrals, agenda and closures) and "admin" (the Métropole programme team: everything).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from bot.clock import now_db
from bot.db.models import Place, StaffAccount, WebSession
from bot.db.session import session_scope
from bot.web.backoffice.throttle import Gate, clear_account, clear_pair, gate, record_failure

ROLES = ("structure", "admin")
ROLE_LABELS = {"structure": "Structure", "admin": "Administrateur Métropole"}
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")

_hasher = PasswordHasher()  # argon2id with the library's current defaults
# Checked when the e-mail is unknown, so that a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A precise reason why an account cannot be created or changed (English, for operators)."""


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    display_name: str
    role: str
    place_pk: int | None
    place_name: str | None
    active: bool
    last_login_at: datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see_place(self, place_pk: int) -> bool:
        return self.is_admin or (self.place_pk is not None and self.place_pk == place_pk)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    email = normalize_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address")
    return email


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.isprintable():
        raise AccountError("the password must not start or end with spaces, nor hold control "
                           "characters")
    return password


def _view(row: StaffAccount, place_name: str | None) -> Account:
    return Account(id=row.id, email=row.email, display_name=row.display_name, role=row.role,
                   place_pk=row.place_pk, place_name=place_name, active=bool(row.active),
                   last_login_at=row.last_login_at)


def create_account(*, email: str, display_name: str, role: str, password: str,
                   place_pk: int | None = None, url: str | None = None) -> Account:
    """A new account; AccountError says what is wrong (taken e-mail, unknown place...)."""
    email = check_email(email)
    display_name = " ".join((display_name or "").split())
    if not display_name or len(display_name) > 120 or not display_name.isprintable():
        raise AccountError("the name must be 1 to 120 printable characters")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "structure" and place_pk is None:
        raise AccountError("a structure account needs its place (--place)")
    if role == "admin" and place_pk is not None:
        raise AccountError("an admin account sees every place: give no --place")
    password_hash = _hasher.hash(check_password(password))
    now = now_db()
    with session_scope(url) as session:
        place_name = None
        if place_pk is not None:
            place = session.get(Place, place_pk)
            if place is None:
                raise AccountError(f"there is no place number {place_pk}")
            if not place.partner:
                raise AccountError(f"place {place_pk} ({place.nom}) is not a partner structure")
            place_name = place.nom
        taken = session.execute(select(StaffAccount.id).where(StaffAccount.email == email)).first()
        if taken:
            raise AccountError(f"an account with the e-mail {email} already exists")
        row = StaffAccount(email=email, display_name=display_name, password_hash=password_hash,
                           role=role, place_pk=place_pk, active=True, failed_logins=0,
                           created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return _view(row, place_name)


def _place_name(session, place_pk: int | None) -> str | None:
    if place_pk is None:
        return None
    place = session.get(Place, place_pk)
    return place.nom if place is not None else None


def get_account(account_id: int, url: str | None = None) -> Account | None:
    with session_scope(url) as session:
        row = session.get(StaffAccount, account_id)
        return _view(row, _place_name(session, row.place_pk)) if row is not None else None


def list_accounts(url: str | None = None) -> list[Account]:
    with session_scope(url) as session:
        rows = session.execute(select(StaffAccount).order_by(StaffAccount.role,
                                                             StaffAccount.email)).scalars().all()
        return [_view(row, _place_name(session, row.place_pk)) for row in rows]


def _row_by_email(session, email: str) -> StaffAccount | None:
    return session.execute(select(StaffAccount).where(
        StaffAccount.email == normalize_email(email))).scalars().first()


def set_password(email: str, password: str, url: str | None = None) -> None:
    password_hash = _hasher.hash(check_password(password))
    with session_scope(url) as session:
        row = _row_by_email(session, email)
        if row is None:
            raise AccountError(f"no account has the e-mail {normalize_email(email)}")
        row.password_hash, row.failed_logins, row.locked_until = password_hash, 0, None
        row.updated_at = now_db()
        # A new password also unlocks: no address stays refused for it, no wait.
        clear_account(session, row.id)
        # A new password ends every session of the account (a stolen one does not outlive it).
        session.query(WebSession).filter(WebSession.account_id == row.id).delete()


def set_active(email: str, active: bool, url: str | None = None) -> None:
    """Disable (or enable again) an account; disabling also ends its sessions."""
    with session_scope(url) as session:
        row = _row_by_email(session, email)
        if row is None:
            raise AccountError(f"no account has the e-mail {normalize_email(email)}")
        row.active, row.updated_at = active, now_db()
        if not active:
            session.query(WebSession).filter(WebSession.account_id == row.id).delete()


def count_admins(url: str | None = None) -> int:
    with session_scope(url) as session:
        return session.execute(select(func.count()).select_from(StaffAccount).where(
            StaffAccount.role == "admin", StaffAccount.active.is_(True))).scalar_one()


@dataclass(frozen=True)
class LoginResult:
    account: Account | None  # None: refused (wrong e-mail or password, disabled, or too many
    # wrong passwords from this address)
    throttled: bool = False  # refused without a check: too many failures from this address


def _dummy_check(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password or "-")
    except VerificationError:
        pass


def login_gate(source: str, email: str, *, now: datetime | None = None,
               url: str | None = None) -> Gate:
    """Before a login attempt: is this source refused for this e-mail, and how long should the
    answer wait (the e-mail is being guessed from elsewhere)?"""
    with session_scope(url) as session:
        return gate(session, source, normalize_email(email)[:254], now)


def authenticate(email: str, password: str, *, source: str = "", now: datetime | None = None,
                 url: str | None = None) -> LoginResult:
    """The account of these credentials, or none.

    `source` is the address the attempt comes from: an address with too many wrong passwords
    (for this e-mail, or in all) is refused without a check, even with the right password, for
    a while (bot/web/backoffice/throttle.py); the account itself is never locked. Every wrong
    password is counted, whether the e-mail is an account or not, and a refusal never says
    which case it was: that would tell who has an account.
    """
    now = now or now_db()
    email = normalize_email(email)[:254]
    password = (password or "")[:MAX_PASSWORD_LENGTH]
    with session_scope(url) as session:
        if gate(session, source, email, now).refused:
            return LoginResult(None, throttled=True)
        row = _row_by_email(session, email) if email else None
        if row is None or not row.active:
            # The same work (one hash) and the same answer whether the account exists or not.
            _dummy_check(password)
            record_failure(session, source, email, now, row.id if row is not None else None)
            return LoginResult(None)
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            # Counted in the database itself, so that parallel attempts all count.
            record_failure(session, source, email, now, row.id)
            return LoginResult(None)
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        clear_pair(session, source, email)
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
        return LoginResult(_view(row, _place_name(session, row.place_pk)))

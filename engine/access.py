"""Who may see what (DESIGN.md 6): users and roles, passwords, and the viewer of a request.

- **Users** have a role: ``seller`` (one seller id), ``category_manager`` (a list of
  categories) or ``admin`` (everything, plus user management). They are kept in the
  application state (``engine.app_state``, SQLite beside the store), never in the
  analytics store, so imports do not touch them. Passwords are hashed with argon2id
  (argon2-cffi); a new password ends the user's sessions (``session_epoch``).
- **The viewer of a request** is built here, on the server, by :func:`resolve_viewer`
  from the signed-in user (or, in demo mode, from the page's "View as" choice checked
  against the data). What the browser asks for is only a request: asking for another
  seller, a category outside the user's, or an unknown one raises :class:`Refused`, which
  the serving layer answers with a short message and one log line.
- :func:`check_offer` refuses an offer key the user may never see (a forged key).

No web framework here: ``serving.auth`` reads the session and calls these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.app_state import AppState
from engine.health import MARKETPLACE, Viewer

ROLES: tuple[str, ...] = ("seller", "category_manager", "admin")
Role = Literal["seller", "category_manager", "admin"]
CM_VIEW = "cm"  # the "View as" value of a category manager
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024

_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
# Verified against when the name is unknown, so a wrong name costs as long as a wrong
# password (no timing hint of which names exist).
_DUMMY_HASH = _HASHER.hash("no such user, no such password")


class UserError(ValueError):
    """A user change that cannot be made as asked; the message says why, for a person."""


class Refused(Exception):
    """A request asked for something its viewer may not see or the data does not have.

    ``str(err)`` is short and names no payload value beyond what the viewer sent about
    themselves; it is what the page shows and the log records (once)."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    seller_id: str | None = None
    categories: tuple[str, ...] = ()
    session_epoch: int = 1

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def viewer(self) -> Viewer:
        """The widest viewer this user may be (an admin: the whole marketplace)."""
        if self.role == "seller":
            return Viewer("seller", self.seller_id)
        if self.role == "category_manager":
            return Viewer("category_manager", categories=self.categories)
        return MARKETPLACE

    def describe(self) -> str:
        if self.role == "seller":
            return f"seller {self.seller_id}"
        if self.role == "category_manager":
            return "category manager of " + ", ".join(self.categories)
        return "admin"


def _user(row: dict) -> User:
    cats = tuple(c for c in (row["categories"] or "").split("\n") if c)
    return User(row["name"], row["role"], row["seller_id"], cats, int(row["session_epoch"]))


class Users:
    """The users of a store folder (its application state)."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        # What was read, kept while the database files are unchanged (one stat each per
        # request instead of a query): any change, by any process, is seen at once.
        self._seen: tuple = (None, None, {})

    def _cached(self) -> tuple[bool | None, dict]:
        stamp = self.state.stamp()
        seen_stamp, has, users = self._seen
        if stamp is None or stamp != seen_stamp:
            self._seen = (stamp, None, {})
            return None, self._seen[2]
        return has, users

    def any(self) -> bool:
        """Whether sign-in is required (as soon as one user exists)."""
        has, _ = self._cached()
        if has is None:
            has = self.state.has_users()
            stamp, _, users = self._seen
            self._seen = (stamp, has, users)
        return has

    def get(self, name: str) -> User | None:
        if not isinstance(name, str):
            return None
        _, users = self._cached()
        if name not in users:
            row = self.state.user_row(name)
            users[name] = _user(row) if row else None
        return users[name]

    def all(self) -> list[User]:
        return [_user(r) for r in self.state.user_rows()]

    def add(
        self,
        name: str,
        role: str,
        password: str,
        *,
        seller_id: str | None = None,
        categories: tuple[str, ...] | list[str] = (),
    ) -> User:
        name = check_name(name)
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        seller_id = (seller_id or "").strip() or None
        cats = tuple(dict.fromkeys(c.strip() for c in categories if c and c.strip()))
        if role == "seller" and not seller_id:
            raise UserError("a seller needs --seller ID (the seller id of their offers)")
        if role != "seller" and seller_id:
            raise UserError("--seller is only for the seller role")
        if role == "category_manager" and not cats:
            raise UserError("a category manager needs at least one --category")
        if role != "category_manager" and cats:
            raise UserError("--category is only for the category_manager role")
        if not self.state.insert_user(
            name, role, seller_id, cats, _HASHER.hash(check_password(password))
        ):
            raise UserError(f"there is already a user {name!r}")
        return User(name, role, seller_id, cats)  # type: ignore[arg-type]

    def remove(self, name: str) -> bool:
        return self.state.delete_user(name)

    def set_password(self, name: str, password: str) -> bool:
        """A new password (its sessions end); False when there is no such user."""
        return self.state.update_password(name, _HASHER.hash(check_password(password)))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is theirs, else None (same cost either way)."""
        row = self.state.user_row(name) if isinstance(name, str) and name else None
        hashed = row["password_hash"] if row else _DUMMY_HASH
        try:
            _HASHER.verify(hashed, password if isinstance(password, str) else "")
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _HASHER.check_needs_rehash(hashed):
            self.state.update_password(row["name"], _HASHER.hash(password), end_sessions=False)
        return _user(row)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise UserError(
            "a user name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a "
            "letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_CHARS:
        raise UserError(f"the password must have at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_MAX_CHARS:
        raise UserError(f"the password may have at most {PASSWORD_MAX_CHARS} characters")
    return password


# --- the viewer of a request ---------------------------------------------------------


def resolve_viewer(
    user: User | None,
    view: str | None,
    categories: tuple[str, ...] | list[str] | None,
    *,
    sellers: frozenset[str] | set[str],
    known_categories: frozenset[str] | set[str],
) -> Viewer:
    """The viewer of one request: ``user`` (None in demo mode) asking to look as ``view``
    (a seller id or ``"cm"``) over ``categories`` (a category manager's pick).

    A seller is always themselves; a category manager sees their categories, or the
    subset they picked; an admin, and anyone in demo mode, may look as any seller of the
    data or as a category manager of any categories of it. Anything else is refused.
    """
    view = view or ""
    cats = tuple(categories or ())
    if user is None or user.is_admin:
        if view == CM_VIEW:
            unknown = [c for c in cats if c not in known_categories]
            if unknown:
                raise Refused("unknown category")
            return Viewer("category_manager", categories=cats)
        if view in sellers:
            return Viewer("seller", view)
        raise Refused("unknown seller")
    if user.role == "seller":
        if view not in ("", user.seller_id) or cats:
            raise Refused("a seller sees only their own offers")
        return Viewer("seller", user.seller_id)
    # a category manager
    if view not in ("", CM_VIEW):
        raise Refused("a category manager sees the offers of their categories")
    outside = [c for c in cats if c not in user.categories]
    if outside:
        raise Refused("that category is not one of yours")
    return Viewer("category_manager", categories=cats or user.categories)


def check_offer(user: User | None, owner: tuple[str, str | None] | None) -> None:
    """Refuse an offer key outside what ``user`` may ever see (a forged key). ``owner`` is
    the key's offer as the store knows it, ``(seller_id, category)``, or None when there
    is no such offer. (An offer the user may see but the current view leaves out, e.g.
    after narrowing the categories, is not refused: the view just does not show it.)"""
    if owner is None:
        raise Refused("no such offer")
    if user is None or user.is_admin:
        return
    seller_id, category = owner
    if user.role == "seller" and seller_id != user.seller_id:
        raise Refused("that offer is not yours")
    if user.role == "category_manager" and category not in user.categories:
        raise Refused("that offer is not in your categories")


def import_seller(user: User | None, asked: str | None, default: str) -> str:
    """The seller id an upload is imported as: a seller's own, always; in demo mode or
    for an admin the one asked for (else ``default``). A category manager does not import
    sellers' reports."""
    asked = (asked or "").strip()
    if user is None or user.is_admin:
        seller = asked or default
        if not NAME_PATTERN.fullmatch(seller):
            raise Refused("a seller id is 1-64 letters, digits, '.', '_', '@' or '-'")
        return seller
    if user.role == "seller":
        if asked not in ("", user.seller_id):
            raise Refused("a seller imports only their own reports")
        return user.seller_id or default
    raise Refused("a category manager does not import sellers' reports")

"""``python app.py user add|remove|list|password``: the store's users (``engine.access``).

Passwords are read from standard input, never from the command line (which other users
of the machine can see in the process list): typed twice without echo at a terminal, or
the first line of piped input (``printf '%s\\n' "$PW" | python app.py user add ...``).
Exit status 0, 2 for bad input (said why), 1 when ``remove``/``password`` find no user.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import TextIO

from engine.access import UserError, Users
from engine.app_state import AppState


def read_password(stdin: TextIO, err: TextIO, *, prompt: str = "Password") -> str:
    if stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        again = getpass.getpass(f"{prompt} again: ")
        if first != again:
            raise UserError("the two passwords differ")
        return first
    line = stdin.readline()
    if not line:
        raise UserError("no password on standard input (pipe it, or run at a terminal)")
    return line.rstrip("\r\n")


def run_user(
    store_root: Path,
    verb: str,
    *,
    name: str | None = None,
    role: str | None = None,
    seller_id: str | None = None,
    categories: list[str] | None = None,
    fmt: str = "text",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    users = Users(AppState.beside(store_root))
    try:
        if verb == "add":
            had_users = users.any()
            password = read_password(stdin, err)
            user = users.add(
                name or "", role or "", password, seller_id=seller_id, categories=categories or ()
            )
            print(f"added {user.name}: {user.describe()}", file=out)
            if not had_users:
                print(
                    "sign-in is now required on the page: start it with VOC_SECRET_KEY set "
                    "(a long random string)",
                    file=err,
                )
            _warn_unknown(store_root, user.seller_id, user.categories, err)
            return 0
        if verb == "remove":
            if not users.remove(name or ""):
                print(f"there is no user {name!r}", file=err)
                return 1
            print(f"removed {name}", file=out)
            if not users.any():
                print("no users are left: the page runs in demo mode again", file=err)
            return 0
        if verb == "password":
            if users.get(name or "") is None:
                print(f"there is no user {name!r}", file=err)
                return 1
            users.set_password(name or "", read_password(stdin, err, prompt="New password"))
            print(f"new password for {name}; their sessions have ended", file=out)
            return 0
        if verb == "list":
            rows = [
                {"name": u.name, "role": u.role, "seller_id": u.seller_id or "",
                 "categories": list(u.categories)}
                for u in users.all()
            ]  # fmt: skip
            if fmt == "json":
                print(json.dumps(rows, ensure_ascii=False, indent=1), file=out)
            else:
                for r in rows:
                    what = r["seller_id"] or ", ".join(r["categories"]) or "everything"
                    print(f"{r['name']}\t{r['role']}\t{what}", file=out)
                if not rows:
                    print("no users: the page runs in demo mode (no sign-in)", file=err)
            return 0
    except UserError as problem:
        print(f"user not changed: {problem}", file=err)
        return 2
    raise ValueError(f"unknown user command {verb!r}")


def _warn_unknown(store_root: Path, seller_id: str | None, cats: tuple[str, ...], err) -> None:
    """Say so when the store has data and it has no such seller or category (a typo?)."""
    from engine.generations import Store

    target = Store(store_root)
    if not target.exists():
        return
    try:
        _, con = target.connect()
    except Exception:  # noqa: BLE001 - only a hint; the user is added either way
        return
    try:
        if seller_id:
            found = con.execute(
                "SELECT count(*) FROM offers WHERE seller_id = ?", [seller_id]
            ).fetchone()[0]
            if not found:
                print(f"note: the store has no offers of seller {seller_id!r} yet", file=err)
        for c in cats:
            found = con.execute("SELECT count(*) FROM offers WHERE category = ?", [c]).fetchone()[0]
            if not found:
                print(f"note: the store has no offers in category {c!r} yet", file=err)
    finally:
        con.close()

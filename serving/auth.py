"""Sign-in: ``/login``, sessions in signed cookies, sign-out, and who is asking.

**Modes.** A store with no users runs in *demo mode*: no sign-in, the page's "View as"
switch picks any seller, and the header says so. As soon as one user exists (``python
app.py user add``), sign-in is required for every route but the sign-in page itself and
its stylesheet, and the viewer comes from the session only.

**Sessions** are Flask's signed cookies (itsdangerous, HMAC with ``VOC_SECRET_KEY``):
HTTP-only, ``SameSite=Lax``, ``Secure`` when ``VOC_SECURE_COOKIES=1`` (behind HTTPS), and
they expire ``VOC_SESSION_HOURS`` (default 8) after sign-in, however active the session
is. A cookie holds the user's name, their ``session_epoch`` (a new password, or removing
the user, ends every session of theirs at the next request), the sign-in time and the
cross-site request token (``serving.guard``). A tampered cookie fails its signature and
is treated as no cookie. The app refuses to start in sign-in mode without a secret; a
user added while a demo-mode server runs makes that server answer 503 until it is
restarted with one.
"""

from __future__ import annotations

import html
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from engine.access import Refused, User, Users

log = logging.getLogger("voc.auth")

SECRET_ENV = "VOC_SECRET_KEY"
SESSION_HOURS_ENV = "VOC_SESSION_HOURS"
SECURE_ENV = "VOC_SECURE_COOKIES"
DEFAULT_SESSION_HOURS = 8.0
SESSION_COOKIE = "voc_session"
MIN_SECRET_CHARS = 32
# What a signed-out browser may fetch in sign-in mode: the sign-in page and its looks.
PUBLIC_PATHS = frozenset(
    {"/login", "/_favicon.ico", "/assets/00-bootstrap-5.3.9.min.css", "/assets/style.css"}
)


class SignInConfigError(RuntimeError):
    """Sign-in mode without a usable secret; the message says what to set."""


@dataclass(frozen=True)
class Session:
    """Who a request is from: the user (None in demo mode) and the request's token."""

    user: User | None
    csrf: str
    demo: bool


def secret_from_env(required: bool) -> str | None:
    secret = os.environ.get(SECRET_ENV, "")
    if secret and len(secret) < MIN_SECRET_CHARS:
        raise SignInConfigError(
            f"{SECRET_ENV} is too short: use at least {MIN_SECRET_CHARS} random characters, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    if required and not secret:
        raise SignInConfigError(
            f"this store has users, so sign-in is required: set {SECRET_ENV} to a long random "
            'string (e.g. python -c "import secrets; print(secrets.token_urlsafe(32))") and '
            "start again"
        )
    return secret or None


def session_hours() -> float:
    raw = os.environ.get(SESSION_HOURS_ENV, "")
    try:
        hours = float(raw) if raw else DEFAULT_SESSION_HOURS
    except ValueError:
        raise SignInConfigError(f"{SESSION_HOURS_ENV} must be a number of hours") from None
    if not hours > 0:
        raise SignInConfigError(f"{SESSION_HOURS_ENV} must be above 0")
    return hours


def install(server, users: Users) -> None:
    """Sign-in on the Flask ``server``: configuration, ``/login``, ``/logout``, and the
    ``before_request`` that finds (or demands) the user of each request."""
    from flask import g, redirect, request, session

    signin = users.any()
    secret = secret_from_env(required=signin)
    hours = session_hours()
    # Demo mode still signs its cookie (it carries the cross-site token); without a
    # configured secret every process of the store shares one kept in its app state.
    server.secret_key = secret or users.state.secret(
        "demo_cookie_key", lambda: secrets.token_urlsafe(32)
    )
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get(SECURE_ENV) == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        SESSION_REFRESH_EACH_REQUEST=False,  # expiry counts from sign-in
    )
    server.extensions["voc_users"] = users
    server.extensions["voc_secret_configured"] = secret is not None

    @server.before_request
    def find_user():
        g.voc_session = None
        if not users.any():
            g.voc_session = Session(None, _csrf(session), demo=True)
            return None
        if not server.extensions["voc_secret_configured"]:
            return _plain(
                503,
                "Sign-in is required now (this store has users), but this server was started "
                f"without {SECRET_ENV}. Restart it with one.",
            )
        user = _session_user(users, session, hours)
        if user is not None:
            g.voc_session = Session(user, _csrf(session), demo=False)
            return None
        if request.path in PUBLIC_PATHS:
            g.voc_session = Session(None, _csrf(session), demo=False)
            return None
        if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
            return redirect("/login?" + _next_query(request.full_path), 303)
        return _plain(401, "Sign in first (/login).")

    def login():
        message = ""
        if request.method == "POST":
            name = request.form.get("username", "")
            user = users.authenticate(name, request.form.get("password", ""))
            if user is not None:
                session.clear()
                session.permanent = True
                session.update(
                    u=user.name, e=user.session_epoch, t=int(time.time()),
                    csrf=secrets.token_urlsafe(32),
                )  # fmt: skip
                log.info("signed in: %s (%s)", user.name, user.role)
                return redirect(_local(request.form.get("next", "")), 303)
            log.warning("sign-in refused for a user name of %d characters", len(name))
            # the form again, with the reason (200: a page, not a failed resource)
            message = "Wrong user name or password."
        if not users.any():
            return redirect("/", 303)
        next_path = request.form.get("next") or request.args.get("next", "")
        name = request.form.get("username", "") if request.method == "POST" else ""
        return _login_page(_csrf(session), next_path, message, name)

    def logout():
        session.clear()
        return redirect("/login" if users.any() else "/", 303)

    server.add_url_rule("/login", "voc_login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "voc_logout", logout, methods=["POST"])


def current() -> Session | None:
    """The session of the request being served; None outside a request (the command
    line, tests calling callbacks directly), which is demo mode."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    return g.get("voc_session")


def current_user() -> User | None:
    """The signed-in user, or None in demo mode; Refused when sign-in is required and the
    request has no user (the guard lets no such request through to the page)."""
    found = current()
    if found is None:
        from flask import has_request_context

        if has_request_context():
            raise Refused("sign in first")
        return None
    if not found.demo and found.user is None:
        raise Refused("sign in first")
    return found.user


def _session_user(users: Users, session, hours: float) -> User | None:
    name, epoch, at = session.get("u"), session.get("e"), session.get("t")
    if not isinstance(name, str) or not isinstance(at, int):
        return None
    if time.time() - at > hours * 3600:
        session.clear()
        return None
    user = users.get(name)
    if user is None or user.session_epoch != epoch:
        session.clear()
        return None
    return user


def _csrf(session) -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _local(target: str) -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    parts = urlsplit(target or "/")
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return "/"
    if parts.path in ("/login", "/logout"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _next_query(full_path: str) -> str:
    from urllib.parse import urlencode

    path = full_path[:-1] if full_path.endswith("?") else full_path
    return urlencode({"next": path[:2000]})


def _plain(status: int, text: str):
    from flask import Response

    return Response(text + "\n", status=status, mimetype="text/plain")


def _login_page(csrf: str, next_path: str, message: str, name: str = "") -> str:
    """The sign-in form; after a wrong password it keeps the name and focuses the password."""
    esc = html.escape
    alert = (
        f'<div class="alert alert-danger py-2" role="alert">{esc(message)}</div>' if message else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Voice of the Customer</title>
<link rel="stylesheet" href="/assets/00-bootstrap-5.3.9.min.css">
<link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="/_favicon.ico">
</head><body>
<main class="container sign-in">
<h1 class="h4 mb-3">Voice of the Customer</h1>
<p class="text-muted small">Sign in to see your offers' customer experience.</p>
{alert}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{esc(csrf)}">
<input type="hidden" name="next" value="{esc(_local(next_path))}">
<div class="mb-2"><label class="form-label small fw-semibold" for="username">User name</label>
<input class="form-control" id="username" name="username" autocomplete="username" required
 value="{esc(name[:64])}"{"" if name else " autofocus"}></div>
<div class="mb-3"><label class="form-label small fw-semibold" for="password">Password</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required{" autofocus" if name else ""}></div>
<button class="btn btn-dark w-100" type="submit">Sign in</button>
</form>
</main></body></html>"""

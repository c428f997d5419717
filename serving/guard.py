"""What every request passes before the page sees it, and the headers every answer gets.

- **Body size.** A request body over ``VOC_MAX_BODY_BYTES`` (default 1 MB) is refused with
  413 before it is read; uploads (``POST /upload``) have their own limit,
  ``VOC_MAX_UPLOAD_BYTES`` (default 200 MB). A body without a length is cut off at the
  same limits while it is read.
- **Cross-site requests.** Every state-changing request (every POST: Dash callbacks, the
  upload, recording an action, signing in and out) must carry the session's token: the
  ``X-CSRFToken`` header, which Dash's renderer sends from the ``_csrf_token`` cookie
  (readable only by pages of this site), or a ``csrf_token`` form field; and an
  ``Origin`` header, when the browser sends one, must be this site.
- **Headers.** A Content-Security-Policy the page satisfies (scripts from this site and
  the hashes of Dash's inline scripts only; no frames, no plugins, no other hosts),
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  same-origin``; answers with data are ``Cache-Control: no-store``.
- **Refusals** are short (``refuse``) and logged once, one line, without the payload.
"""

from __future__ import annotations

import hmac
import logging
import os
from urllib.parse import urlsplit

log = logging.getLogger("voc.guard")

BODY_ENV = "VOC_MAX_BODY_BYTES"
UPLOAD_ENV = "VOC_MAX_UPLOAD_BYTES"
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_MAX_UPLOAD = 200 * 1024 * 1024
UPLOAD_PATH = "/upload"
CSRF_COOKIE = "_csrf_token"  # the names Dash's renderer reads and sends
CSRF_HEADER = "X-CSRFToken"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Static files may be cached; everything else (the page, its data) may not.
CACHEABLE_PREFIXES = ("/assets/", "/_dash-component-suites/")


def limits() -> tuple[int, int]:
    """(body limit, upload limit) in bytes, from the environment or the defaults."""

    def read(name: str, default: int) -> int:
        raw = os.environ.get(name, "")
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < 1024:
            raise ValueError(f"{name} must be a number of bytes, at least 1024")
        return int(raw)

    return read(BODY_ENV, DEFAULT_MAX_BODY), read(UPLOAD_ENV, DEFAULT_MAX_UPLOAD)


def content_security_policy(script_hashes: list[str]) -> str:
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            # Dash components set style attributes and plotly/AG Grid add style sheets.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def refuse(status: int, text: str, *, why: str | None = None):
    """A short plain-text refusal, logged once (``why``: the log's words, default the
    text), naming the path and never the payload."""
    from flask import Response, request

    log.warning("refused %s %s (%d): %s", request.method, request.path[:200], status, why or text)
    return Response(text + "\n", status=status, mimetype="text/plain")


def install_limits(server) -> None:
    """The body-size guard; runs before anything reads the body."""
    from flask import request

    body, upload = limits()
    server.config["MAX_CONTENT_LENGTH"] = max(body, upload)
    server.config["MAX_FORM_MEMORY_SIZE"] = body

    @server.before_request
    def limit_body():
        limit = upload if request.path == UPLOAD_PATH else body
        request.max_content_length = limit
        length = request.content_length
        if length is not None and length > limit:
            return refuse(
                413,
                f"Request too large: at most {_size(limit)}.",
                why=f"body of {length:,} bytes over the {limit:,}-byte limit",
            )
        return None

    @server.errorhandler(413)
    def too_large(_err):
        return refuse(413, "Request too large.", why="body over the limit while reading")


def install_csrf(server) -> None:
    """The cross-site request guard; runs after ``serving.auth`` found the session."""
    from flask import g, request

    @server.before_request
    def check_cross_site():
        if request.method not in UNSAFE_METHODS:
            return None
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            return refuse(403, "Cross-site request refused.", why="foreign Origin")
        found = g.get("voc_session")
        expected = found.csrf if found is not None else ""
        sent = request.headers.get(CSRF_HEADER) or (
            request.form.get("csrf_token", "") if request.mimetype in _FORM_TYPES else ""
        )
        if not expected or not sent or not hmac.compare_digest(str(sent), expected):
            return refuse(
                403,
                "This request lacks its page's token: reload the page and try again.",
                why="missing or wrong cross-site token",
            )
        return None


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CALLBACK_PATH = "/_dash-update-component"


def install_callback_check(server, callbacks) -> None:
    """A callback request that is not one (not JSON, no output, no inputs, an output no
    callback has: ``callbacks`` is the app's callback map) is refused with 400 before
    Dash reads it."""
    from flask import request

    @server.before_request
    def check_callback_body():
        if request.method != "POST" or not request.path.endswith(CALLBACK_PATH):
            return None
        body = request.get_json(silent=True)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("output"), str)
            or not isinstance(body.get("inputs"), list)
            or not isinstance(body.get("state", []), list)
            or body["output"] not in callbacks
        ):
            return refuse(400, "Bad callback request.", why="not a callback request body")
        return None

    @server.errorhandler(500)
    def internal(_err):
        from flask import Response

        return Response("Internal error (it is in the server log).\n", 500, mimetype="text/plain")


def install_headers(server, script_hashes: list[str]) -> None:
    from flask import request, session

    csp = content_security_policy(script_hashes)

    @server.after_request
    def secure(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith(CACHEABLE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        token = session.get("csrf")  # after a sign-in, the new session's
        if isinstance(token, str) and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(
                CSRF_COOKIE,
                token,
                httponly=False,  # the page's script reads it into the header
                samesite="Strict",
                secure=server.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"

"""Serving the page to people: sign-in, request guards, and the production server.

- ``serving.auth``: sign-in at ``/login``, signed session cookies, sign-out, and the
  signed-in user of a request (``current_user``), or demo mode when the store has no users;
- ``serving.guard``: what every request passes first: body size limits, cross-site request
  protection, security headers (a Content-Security-Policy the page satisfies);
- ``serving.gunicorn``: ``python app.py serve --workers N``, several worker processes
  reading the store read-only.

Who may see what is decided in the engine (``engine.access``); this package only finds
out who is asking, from the session the server signed, never from the browser's payload.
"""

from __future__ import annotations


def install(app, jobs, users) -> None:
    """Everything above on the Dash ``app``'s Flask server, in the order requests meet it:
    the body limit, the session, the cross-site check, then the page; headers on the way
    out. Call it after every callback is declared (the CSP hashes their inline scripts)."""
    from serving import auth, guard, uploads

    server = app.server
    theirs = list(server.before_request_funcs.get(None, []))  # Dash's own set-up
    server.before_request_funcs[None] = []
    guard.install_limits(server)
    auth.install(server, users)
    guard.install_csrf(server)
    guard.install_callback_check(server, app.callback_map)
    server.before_request_funcs[None].extend(theirs)  # after ours: nothing unchecked runs
    guard.install_headers(server, list(app.csp_hashes()))
    uploads.register(server, jobs)

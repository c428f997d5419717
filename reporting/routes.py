"""``GET /report``: the report view as a page of the app's Flask server.

``/report?view=<seller id or cm>&cats=<comma list>&as_of=YYYY-MM-DD&window=90&paper=a4``

The parameters are the page's own URL keys (``callbacks/state.py``), so the page's query
string can be passed on as it is (``"/report" + location.search``); keys the report does
not use are ignored. A missing parameter takes the page's default (the default view, the
latest day, 90 days, A4); a value that is not understood or out of range does too, and the
document says, in a visible box, what was ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from engine.access import Refused
from engine.health import Viewer
from engine.policy import WINDOWS
from engine.service import VocService
from reporting.document import CSP, PAPERS, report_html

DEFAULT_WINDOW = 90
MAX_NOTE_VALUE = 60  # characters of a rejected value quoted back in the note


@dataclass(frozen=True)
class ReportRequest:
    """What a report request asks for, after the fallbacks; ``notes`` say what was ignored."""

    viewer: Viewer
    view: str
    categories: tuple[str, ...]
    as_of: date
    window_days: int
    paper: str
    notes: tuple[str, ...] = field(default=())

    def query(self, **changes) -> str:
        """The query string of this request (with ``changes``), e.g. for the paper links."""
        params = {
            "view": self.view,
            "cats": ",".join(self.categories),
            "as_of": self.as_of.isoformat(),
            "window": str(self.window_days),
            "paper": self.paper,
        }
        params.update({k: str(v) for k, v in changes.items()})
        return "?" + urlencode({k: v for k, v in params.items() if v})


def _quoted(value: str) -> str:
    value = value if len(value) <= MAX_NOTE_VALUE else value[: MAX_NOTE_VALUE - 1] + "…"
    return f"“{value}”"


def request_viewer(
    service: VocService, view: str | None, cats: str | None
) -> tuple[Viewer, str, tuple[str, ...], list[str]]:
    """The viewer of a report request, decided as the page's (``VocService.viewer_for``
    for the signed-in user): ``view`` is a seller id or ``cm`` (category manager of
    ``cats``, all of theirs when empty). Returns (viewer, view, categories, notes).

    In demo mode, and for an admin, a view or category the data does not have falls back
    to the default with a note; a signed-in seller or category manager asking for what is
    not theirs is refused (``Refused``), as on the page.
    """
    from callbacks.state import CM
    from serving.auth import current_user

    user = current_user()
    notes: list[str] = []
    view = (view or "").strip()
    asked = tuple(c.strip() for c in (cats or "").split(",") if c.strip())
    if user is not None and not user.is_admin:
        own = user.seller_id if user.role == "seller" else CM
        viewer = service.viewer_for(user, view or own, asked if own == CM else ())
        return viewer, own, asked if own == CM else (), notes
    if not view:
        view = service.default_view()
    elif view != CM and view not in service.sellers():
        default = service.default_view()
        notes.append(
            f"view {_quoted(view)} is neither a seller in the store nor “{CM}”: showing {default}"
        )
        view = default
    categories: tuple[str, ...] = ()
    if view == CM and asked:
        known = set(service.categories())
        unknown = [c for c in asked if c not in known]
        categories = tuple(c for c in asked if c in known)
        if unknown:
            word = "categories" if len(unknown) > 1 else "category"
            names = ", ".join(_quoted(c) for c in unknown)
            outcome = "left out" if categories else "showing all categories"
            notes.append(f"unknown {word} {names}: {outcome}")
    viewer = service.viewer_for(user, view, categories)
    return viewer, view, categories, notes


def parse_request(service: VocService, args) -> ReportRequest:
    """A ``ReportRequest`` from query parameters (a mapping of str to str)."""
    viewer, view, categories, notes = request_viewer(service, args.get("view"), args.get("cats"))
    first, latest = service.day_range()
    as_of = latest
    raw = (args.get("as_of") or "").strip()
    if raw:
        try:
            asked = date.fromisoformat(raw)
        except ValueError:
            notes.append(f"as_of {_quoted(raw)} is not a day (YYYY-MM-DD): showing {latest}")
        else:
            if asked > latest:
                notes.append(f"as_of {asked} is after the latest day with data: showing {latest}")
            elif asked < first:
                notes.append(f"as_of {asked} is before the first day with data: showing {latest}")
            else:
                as_of = asked
    window = DEFAULT_WINDOW
    raw = (args.get("window") or "").strip()
    if raw:
        choices = ", ".join(str(w) for w in WINDOWS)
        if raw.isdigit() and int(raw) in WINDOWS:
            window = int(raw)
        else:
            notes.append(
                f"window {_quoted(raw)} is not one of {choices} days: showing {DEFAULT_WINDOW}"
            )
    paper = "a4"
    raw = (args.get("paper") or "").strip().lower()
    if raw:
        if raw in PAPERS:
            paper = raw
        else:
            notes.append(f"paper {_quoted(raw)} is not a4 or letter: showing A4")
    return ReportRequest(viewer, view, categories, as_of, window, paper, tuple(notes))


def render(service: VocService, args) -> str:
    """The report document for query parameters ``args``."""
    req = parse_request(service, args)
    other = "letter" if req.paper == "a4" else "a4"
    return report_html(
        service,
        req.viewer,
        as_of=req.as_of,
        window_days=req.window_days,
        paper=req.paper,
        notes=req.notes,
        links={f"Lay out for {PAPERS[other].label}": req.query(paper=other)},
    )


def register_routes(server, service: VocService) -> None:
    """Add ``GET /report`` to the Flask ``server`` (the Dash app's ``app.server``)."""
    from flask import Response, request

    def report() -> Response:
        try:
            body = render(service, request.args)
        except Refused as err:
            from serving.guard import refuse

            return refuse(403, f"Not shown: {err}.")
        response = Response(body, mimetype="text/html")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        return response

    server.add_url_rule("/report", "voc_report", report, methods=["GET"])

"""The report view: a printable, self-contained document of a viewer's CX health.

- ``reporting.document.report_html``: the HTML document (A4 or Letter);
- ``reporting.routes.register_routes``: ``GET /report`` on the app's Flask server;
- ``reporting.snapshot``: the ``snapshot`` command (PDF or PNG by the system Chromium).

No UI framework here beyond plotly (the figures) and Flask (the route); no data access
except through ``engine.service.VocService``.
"""

from __future__ import annotations


def register_routes(server, service) -> None:
    """Add the report view (``GET /report``) to the Dash app's Flask server."""
    from reporting.routes import register_routes as register

    register(server, service)

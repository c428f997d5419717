"""``POST /upload``: the page's "Import reports" files, as multipart form data.

Uploads come here rather than through a Dash callback so that they have their own size
limit (``serving.guard``), checked before the body is read, and so that a file is never
base64-encoded into JSON. The form has ``files`` (one or more) and ``seller``; the answer
is JSON: ``{"job": id, "files": [names]}`` for ``engine.jobs`` to follow, or ``{"error":
text}`` with status 400 (bad files) or 403 (not allowed). Who imports as which seller is
the engine's rule (``engine.access.import_seller``).
"""

from __future__ import annotations

from engine.access import Refused, import_seller
from engine.jobs import MAX_FILES, ImportJobs, safe_name
from engine.pipeline import DEFAULT_SELLER
from serving.auth import current_user
from serving.guard import UPLOAD_PATH, refuse


def register(server, jobs: ImportJobs) -> None:
    from flask import jsonify, request

    def upload():
        try:
            user = current_user()
            seller = import_seller(user, request.form.get("seller"), DEFAULT_SELLER)
        except Refused as err:
            refuse(403, str(err))
            return jsonify(error=f"Not imported: {err}."), 403
        parts = request.files.getlist("files")
        if not parts:
            return jsonify(error="No files arrived; choose them again."), 400
        if len(parts) > MAX_FILES:
            return jsonify(error=f"At most {MAX_FILES} files at a time."), 400
        files = [(safe_name(p.filename or f"file-{i + 1}"), p.read()) for i, p in enumerate(parts)]
        try:
            job = jobs.start(files, seller=seller, owner=user.name if user else None)
        except ValueError as err:
            return jsonify(error=str(err)), 400
        return jsonify(job=job, files=[name for name, _ in files], seller=seller)

    server.add_url_rule(UPLOAD_PATH, "voc_upload", upload, methods=["POST"])

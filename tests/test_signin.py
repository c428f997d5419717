"""Sign-in and scoping over HTTP, against the real server (gunicorn, two workers).

A copy of the demo store gets users: two sellers, a category manager and an admin. Each
test talks to the server as a browser would (``bench/dash_http.py``: the layout, the
callback requests the page's renderer sends), so what is checked is what a signed-in
person, or someone editing the requests, actually receives.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.dash_http import DashHTTP, id_key
from engine.demo import SELLER_NAMES
from engine.generations import connect_live
from layouts.ids import ID, tile
from tests.browser.conftest import serving
from tests.conftest import store_with_users

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery"
ALICE, DANA = "S-0003", "S-DEMO"  # two sellers
CM_CATEGORY = "Toys & Games"


@pytest.fixture(scope="module")
def signin_store(demo_store, tmp_path_factory) -> Path:
    users = [
        ("alice", "seller", ALICE, ()),
        ("dana", "seller", DANA, ()),
        ("carol", "category_manager", None, (CM_CATEGORY,)),
        ("root", "admin", None, ()),
    ]
    path = tmp_path_factory.mktemp("signin") / "store"
    return store_with_users(demo_store, path, PASSWORD, users)


@pytest.fixture(scope="module")
def server(signin_store, tmp_path_factory):
    log = tmp_path_factory.mktemp("signin-log") / "server.log"
    env = {"VOC_SECRET_KEY": SECRET}
    with serving(signin_store, log, env=env, args=("--workers", "2")) as url:
        yield url, log


@pytest.fixture(scope="module")
def data(signin_store) -> dict:
    """Every seller's SKUs, order ids and names, from the store (what must not leak)."""
    con = connect_live(signin_store)
    try:
        skus = con.execute("SELECT seller_id, sku FROM offers").fetchall()
        orders = con.execute("SELECT DISTINCT seller_id, order_id FROM orders").fetchall()
        cats = con.execute("SELECT seller_id, sku, category FROM offers").fetchall()
        comments = con.execute(
            "SELECT DISTINCT seller_id, comment FROM feedback WHERE length(trim(comment)) > 0"
        ).fetchall()
    finally:
        con.close()
    out: dict = {"skus": {}, "orders": {}, "category": {}, "comments": {}}
    for seller, comment in comments:
        out["comments"].setdefault(seller, set()).add(comment)
    for seller, sku in skus:
        out["skus"].setdefault(seller, set()).add(sku)
    for seller, order in orders:
        out["orders"].setdefault(seller, set()).add(order)
    for seller, sku, category in cats:
        out["category"][(seller, sku)] = category
    return out


def client(url: str, name: str | None = None) -> DashHTTP:
    c = DashHTTP(url)
    if name:
        answer = c.sign_in(name, PASSWORD)
        assert answer.status == 200, answer.text[:200]  # redirected to the page
    return c


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]+", text))


def strings(texts: list[str]) -> set[str]:
    """Every string value in the JSON answers among ``texts``."""
    out: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, str):
            out.add(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for text in texts:
        try:
            walk(json.loads(text))
        except ValueError:
            continue
    return out


def leaks(texts: list[str], data: dict, own: str) -> list[str]:
    """Other sellers' SKUs (not also this seller's), order ids, names and comments (not
    also written to this seller) in ``texts``."""
    found = set().union(*(tokens(t) for t in texts))
    values = strings(texts)
    mine_comments = data["comments"].get(own, set())
    mine_skus = data["skus"].get(own, set())
    mine_orders = data["orders"].get(own, set())
    bad: set[str] = set()
    for seller, skus in data["skus"].items():
        if seller == own:
            continue
        bad |= (skus - mine_skus) & found
        bad |= (data["orders"].get(seller, set()) - mine_orders) & found
        bad |= (data["comments"].get(seller, set()) - mine_comments) & values
        if seller in found:
            bad.add(seller)
    joined = "\n".join(texts)
    bad |= {
        name
        for seller, name in SELLER_NAMES.items()
        if seller != own and seller in data["skus"] and name in joined
    }
    return sorted(bad)


def click_through(c: DashHTTP, data: dict, seller: str) -> list[str]:
    """Load the page and use it: tiles, filters, grid rows and sorts, row clicks, the
    detail, comments and downloads. Returns every answer's text."""
    texts = [a.text for a in c.load()]
    rows = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    c.fire(c.set(ID.GRID, "getRowsRequest", rows))
    c.fire(c.set(id_key(tile("poor")), "n_clicks", 1))
    c.fire(c.set(id_key(tile("poor")), "n_clicks", 2))
    c.fire(c.set(ID.F_WITH_COMMENTS, "value", ["yes"]))
    sorted_rows = {**rows, "sortModel": [{"colId": "ncx_rate", "sort": "desc"}]}
    c.fire(c.set(ID.GRID, "getRowsRequest", sorted_rows))
    for sku in sorted(data["skus"][seller])[:3]:
        key = f"{seller}|{sku}"
        c.fire(c.set(ID.GRID, "cellClicked", {"rowId": key, "colId": "title", "value": sku}))
    for button in (ID.GRID_DOWNLOAD_BUTTON, ID.COMMENTS_CSV, ID.NCX_CSV):
        c.fire(c.set(button, "n_clicks", 1))
    texts += [a.text for a in c.answers]
    texts.append(c.get("/report", accept="text/html").text)
    return texts


# --- every route wants a signed-in user ------------------------------------------------


def test_every_route_but_sign_in_wants_a_session(server):
    url, _ = server
    c = DashHTTP(url)
    for path in ("/", "/report", "/?view=S-0003"):
        answer = c.get(path, accept="text/html")  # followed to /login
        assert answer.status == 200 and 'name="username"' in answer.text, path
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/charts.js"):
        assert c.get(path, accept="application/json").status == 401, path
    assert c.request("POST", "/_dash-update-component", b"{}").status == 401
    assert c.request("POST", "/upload", b"").status == 401
    login = c.get("/login", accept="text/html")
    assert login.status == 200 and 'name="password"' in login.text


def test_wrong_password_and_tampered_or_foreign_cookies_are_rejected(server):
    url, _ = server
    c = DashHTTP(url)
    answer = c.sign_in("alice", "not the password")
    assert "Wrong user name or password" in answer.text and 'name="password"' in answer.text
    assert "Wrong user name or password" in c.sign_in("nobody", PASSWORD).text
    assert c.get("/_dash-layout").status == 401
    good = client(url, "alice")
    assert good.get("/_dash-layout").status == 200
    for cookie in good.jar:
        if cookie.name == "voc_session":
            # flip one character of the signature: the cookie no longer verifies
            cookie.value = (
                cookie.value[:-2] + ("A" if cookie.value[-2] != "A" else "B") + cookie.value[-1]
            )
    assert good.get("/_dash-layout").status == 401


def test_security_headers_and_no_caching_of_data(server):
    url, _ = server
    c = client(url, "alice")
    req = c.opener.open(url + "/_dash-layout")
    headers = req.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    cookie = next(x for x in c.jar if x.name == "voc_session")
    assert cookie.has_nonstandard_attr("HttpOnly")


# --- a seller sees only their own --------------------------------------------------------


def test_a_signed_in_seller_receives_nothing_of_another_seller(server, data):
    url, _ = server
    c = client(url, "alice")
    texts = click_through(c, data, ALICE)
    assert not leaks(texts, data, ALICE)
    joined = "\n".join(texts)
    assert sorted(data["skus"][ALICE])[0] in joined  # the page did show her offers
    assert strings(texts) & data["comments"][ALICE]  # and her comments
    assert sum(a.status == 200 for a in c.answers) > 20
    layout = c.get("/_dash-layout").json()
    options = _find(layout, ID.VIEW_AS)["options"]
    assert [o["value"] for o in options] == [ALICE]
    assert "Signed in as alice" in json.dumps(layout)
    assert "Demo mode" not in json.dumps(layout)


def test_requests_replayed_with_another_sellers_scope_return_nothing_of_theirs(server, data):
    url, log = server
    c = client(url, "alice")
    click_through(c, data, ALICE)
    victim = data["skus"][DANA] - data["skus"][ALICE]
    victim_key = f"{DANA}|{sorted(victim)[0]}"
    answers = []
    for dep in c.deps:  # every callback, with the values the click-through ended with
        text = json.dumps(c.payload(dep, set()))
        variants = {
            # another seller's id wherever hers was, her selected offer made theirs
            text.replace(f'"{ALICE}|', f'"{DANA}|').replace(f'"{ALICE}"', f'"{DANA}"'),
            # a category manager's scope, over every category
            text.replace(f'"value": "{ALICE}"', '"value": "cm"'),
        } - {text}
        answers += [c.post(json.loads(v)) for v in variants]
    assert len(answers) > 10
    texts = [a.text for a in answers]
    assert not leaks(texts, data, ALICE)
    assert not (victim & tokens("\n".join(texts)))
    assert victim_key not in "\n".join(texts)
    assert sum("Not shown" in t for t in texts) >= 5, "forged requests answered as allowed"
    assert "refused" in log.read_text()


def test_forged_offer_sort_rows_and_categories_are_refused_and_logged_once(server, data):
    url, log = server
    c = client(url, "alice")
    c.load()
    marker = "PAYLOAD-MARKER-" + "z" * 300
    other = sorted(data["skus"][DANA] - data["skus"][ALICE])[0]
    cases = {
        "forged offer": (ID.SELECTED_OFFER, "data", f"{DANA}|{other}"),
        "unknown offer": (ID.SELECTED_OFFER, "data", f"{ALICE}|{marker}"),
    }
    before = log.read_text().count("refused")
    for what, (cid, prop, value) in cases.items():
        answers = c.fire(c.set(cid, prop, value))
        assert any("Not shown" in a.text for a in answers), what
        assert other not in "".join(a.text for a in answers)
    bad_rows = [
        {"startRow": 0, "endRow": 100, "sortModel": [{"colId": marker, "sort": "asc"}]},
        {
            "startRow": 0,
            "endRow": 100,
            "filterModel": {marker: {"type": "equals", "filter": DANA}},
        },
        {"startRow": 10**9, "endRow": 10**9 + 100},
        {"startRow": 0, "endRow": 10**7},
    ]
    for request in bad_rows:
        answers = c.fire(c.set(ID.GRID, "getRowsRequest", request))
        assert answers and all("Not shown" in a.text for a in answers), request
    for report in (f"/report?view={DANA}", "/report?view=cm", "/report?view=cm&cats=Baby"):
        answer = c.get(report, accept="text/html")
        assert answer.status == 403 and other not in answer.text, report
    text = log.read_text()
    assert text.count("refused") - before >= len(cases) + len(bad_rows) + 3
    assert marker not in text and "z" * 100 not in text  # the payload is never echoed


# --- a category manager sees only their categories ---------------------------------------


def test_a_category_manager_sees_only_their_categories(server, data):
    url, _ = server
    c = client(url, "carol")
    c.load()
    c.fire(c.set(ID.GRID, "getRowsRequest", {"startRow": 0, "endRow": 1000}))
    rows = next(
        c.values[(ID.GRID, "getRowsResponse")]["rowData"]
        for _ in [0]
        if (ID.GRID, "getRowsResponse") in c.values
    )
    assert rows, "the category manager's grid is empty"
    assert {data["category"][tuple(r["key"].split("|", 1))] for r in rows} == {CM_CATEGORY}
    layout = c.get("/_dash-layout").json()
    assert _find(layout, ID.CM_CATEGORIES)["options"] == [CM_CATEGORY]
    # asking for another category, or to be a seller, is refused
    for cid, value in ((ID.CM_CATEGORIES, ["Baby"]), (ID.VIEW_AS, ALICE)):
        answers = c.fire(c.set(cid, "value", value))
        assert any("Not shown" in a.text for a in answers), cid
        c.values[(cid, "value")] = [] if cid == ID.CM_CATEGORIES else "cm"


def test_an_admin_may_view_as_any_seller(server, data):
    url, _ = server
    c = client(url, "root")
    layout = c.get("/_dash-layout").json()
    values = {o["value"] for o in _find(layout, ID.VIEW_AS)["options"]}
    assert {ALICE, DANA, "cm"} <= values


# --- hostile requests ----------------------------------------------------------------


def test_cross_site_and_oversized_requests_are_refused(server):
    url, log = server
    c = client(url, "alice")
    c.load()
    dep = next(d for d in c.deps if d["output"].startswith(f"{ID.PEER_NOTES}."))
    body = json.dumps(c.payload(dep, set())).encode()
    ok = c.request("POST", "/_dash-update-component", body,
                   {"Content-Type": "application/json", "X-CSRFToken": c.cookie("_csrf_token")})  # fmt: skip
    assert ok.status == 200
    no_token = c.request(
        "POST", "/_dash-update-component", body, {"Content-Type": "application/json"}
    )
    assert no_token.status == 403
    foreign = c.request(
        "POST", "/_dash-update-component", body,
        {"Content-Type": "application/json", "X-CSRFToken": c.cookie("_csrf_token"),
         "Origin": "https://evil.example"},
    )  # fmt: skip
    assert foreign.status == 403
    # 50 MB announced: the answer comes before a byte of the body is sent
    status, seconds = _announce_body(url, 50 * 1024 * 1024, c.cookie("_csrf_token"), c)
    assert status == 413 and seconds < 5
    upload_ok, _ = _announce_body(url, 2 * 1024 * 1024, c.cookie("_csrf_token"), c, "/upload")
    assert upload_ok != 413  # uploads have their own, larger limit
    garbage = c.request("POST", "/_dash-update-component", b"\xff\xfe garbage",
                        {"Content-Type": "application/json", "X-CSRFToken": c.cookie("_csrf_token")})  # fmt: skip
    assert garbage.status == 400


def test_the_app_refuses_to_start_in_sign_in_mode_without_a_secret(signin_store):
    env = {k: v for k, v in __import__("os").environ.items() if k != "VOC_SECRET_KEY"}
    done = subprocess.run(
        [sys.executable, "app.py", "--store", str(signin_store), "serve", "--port", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "VOC_SECRET_KEY" in done.stderr


def _announce_body(url, size, token, c, path="/_dash-update-component"):
    """Send only the headers of a ``size``-byte POST; (status, seconds to the answer)."""
    import socket
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    cookies = "; ".join(f"{x.name}={x.value}" for x in c.jar)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\nX-CSRFToken: {token}\r\nCookie: {cookies}\r\n\r\n"
    )
    start = time.perf_counter()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode())
        if path == "/upload":
            sock.sendall(b"x" * size)
        first = sock.recv(200).decode("latin-1")
    return int(first.split()[1]), time.perf_counter() - start


def _find(node, cid):
    if isinstance(node, list):
        for child in node:
            found = _find(child, cid)
            if found is not None:
                return found
        return None
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == cid:
            return props
        for value in props.values():
            found = _find(value, cid)
            if found is not None:
                return found
    return None


def _upload(c: DashHTTP, seller: str) -> tuple[int, dict]:
    boundary = "----voc-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="seller"\r\n\r\n{seller}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="x.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\nnot,a,report\r\n--{boundary}--\r\n"
    ).encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-CSRFToken": c.cookie("_csrf_token") or "",
    }
    answer = c.request("POST", "/upload", body, headers)
    return answer.status, answer.json() if answer.body.startswith(b"{") else {}


def test_uploads_go_to_the_sellers_own_data_only(server):
    url, _ = server
    seller = client(url, "alice")
    seller.load()
    status, answer = _upload(seller, DANA)
    assert status == 403 and "own reports" in answer["error"]
    cm = client(url, "carol")
    cm.load()
    status, answer = _upload(cm, "")
    assert status == 403 and "category manager" in answer["error"]
    status, answer = _upload(seller, ALICE)  # her own: accepted (the import then fails)
    assert status == 200 and answer["seller"] == ALICE and answer["job"]
    # her job is hers: another user following its id learns nothing
    other = client(url, "dana")
    other.load()
    c_job = (ID.IMPORT_JOB, "data")
    other.values[c_job] = answer["job"]
    answers = other.fire(other.set(ID.IMPORT_POLL, "n_intervals", 1))
    assert answers and all("x.csv" not in a.text for a in answers)


def test_an_import_while_serving_is_seen_by_every_worker(server, signin_store, tmp_path):
    """Last in this module: it adds a seller to the module's store."""
    url, _ = server
    reports = tmp_path / "reports"
    assert subprocess.run(
        [sys.executable, "app.py", "demo", "--amazon-reports", str(reports)],
        cwd=ROOT, capture_output=True, timeout=300,
    ).returncode == 0  # fmt: skip
    admin = client(url, "root")
    before = admin.get("/_dash-layout").text
    assert "S-NEWCOMER" not in before
    done = subprocess.run(
        [sys.executable, "app.py", "--store", str(signin_store), "import",
         *map(str, sorted(reports.iterdir())), "--seller", "S-NEWCOMER"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # two workers: each of a dozen new requests sees the new data, whichever answers
    for _ in range(12):
        fresh = client(url, "root")
        assert "S-NEWCOMER" in fresh.get("/_dash-layout").text

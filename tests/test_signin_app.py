"""Sign-in in one process (Flask's test client): expiry, demo mode, the ``user`` command."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import app as app_module
from engine.access import Users
from engine.app_state import AppState
from engine.user_commands import run_user
from serving import auth
from serving.auth import SignInConfigError

ROOT = Path(__file__).resolve().parents[1]
PW = "correct horse battery"
SECRET = "s" * 48


@pytest.fixture
def store(demo_store, tmp_path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(demo_store, path)
    for f in path.glob("app_state.sqlite*"):
        f.unlink()
    return path


def sign_in(client, name: str, password: str = PW):
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


def test_demo_mode_says_so_and_is_off_as_soon_as_a_user_exists(store, monkeypatch):
    monkeypatch.setenv("VOC_SECRET_KEY", SECRET)
    client = app_module.create_app(store).server.test_client()
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "Demo mode" in layout.get_data(as_text=True)
    Users(AppState.beside(store)).add("ann", "seller", PW, seller_id="S-0003")
    # the same running server: sign-in is required from the next request on
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 303
    assert sign_in(client, "ann").status_code == 303
    text = client.get("/_dash-layout").get_data(as_text=True)
    assert "Signed in as ann" in text and "Demo mode" not in text


def test_a_user_added_to_a_server_started_without_a_secret_makes_it_refuse(store, monkeypatch):
    monkeypatch.delenv("VOC_SECRET_KEY", raising=False)
    client = app_module.create_app(store).server.test_client()
    assert client.get("/_dash-layout").status_code == 200  # demo mode
    Users(AppState.beside(store)).add("ann", "admin", PW)
    answer = client.get("/_dash-layout")
    assert answer.status_code == 503 and "VOC_SECRET_KEY" in answer.get_data(as_text=True)
    with pytest.raises(SignInConfigError, match="VOC_SECRET_KEY"):
        app_module.create_app(store)


def test_sessions_expire_and_a_new_password_or_removal_ends_them(store, monkeypatch):
    monkeypatch.setenv("VOC_SECRET_KEY", SECRET)
    monkeypatch.setenv("VOC_SESSION_HOURS", "1")
    users = Users(AppState.beside(store))
    users.add("ann", "seller", PW, seller_id="S-0003")
    client = app_module.create_app(store).server.test_client()
    assert sign_in(client, "ann").status_code == 303
    assert client.get("/_dash-layout").status_code == 200
    now = auth.time.time()
    monkeypatch.setattr(auth.time, "time", lambda: now + 3601)
    assert client.get("/_dash-layout").status_code == 401  # expired
    monkeypatch.setattr(auth.time, "time", lambda: now)
    assert sign_in(client, "ann").status_code == 303
    users.set_password("ann", "a brand new password")
    assert client.get("/_dash-layout").status_code == 401  # the old session ended
    assert sign_in(client, "ann", "a brand new password").status_code == 303
    users.remove("ann")
    users.add("bob", "admin", PW)
    assert client.get("/_dash-layout").status_code == 401


def test_sign_in_goes_back_only_to_a_path_of_this_site(store, monkeypatch):
    monkeypatch.setenv("VOC_SECRET_KEY", SECRET)
    Users(AppState.beside(store)).add("ann", "admin", PW)
    client = app_module.create_app(store).server.test_client()
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    for target, expected in (("/report?view=cm", "/report?view=cm"), ("https://evil.example/", "/"),
                             ("//evil.example/x", "/")):  # fmt: skip
        answer = client.post(
            "/login",
            data={"username": "ann", "password": PW, "csrf_token": token, "next": target},
        )
        assert answer.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value})
        client.get("/login")
        token = client.get_cookie("_csrf_token").value
    no_token = client.post("/login", data={"username": "ann", "password": PW})
    assert no_token.status_code == 403


def test_user_command_reads_the_password_from_stdin_and_lists_without_it(store):
    out, err = io.StringIO(), io.StringIO()
    code = run_user(store, "add", name="cat", role="category_manager", categories=["Baby"],
                    stdin=io.StringIO(PW + "\n"), out=out, err=err)  # fmt: skip
    assert code == 0 and "added cat" in out.getvalue() and "VOC_SECRET_KEY" in err.getvalue()
    assert Users(AppState.beside(store)).authenticate("cat", PW) is not None
    out = io.StringIO()
    assert run_user(store, "list", fmt="json", out=out) == 0
    assert json.loads(out.getvalue()) == [
        {"name": "cat", "role": "category_manager", "seller_id": "", "categories": ["Baby"]}
    ]
    assert PW not in out.getvalue()
    err = io.StringIO()
    assert run_user(store, "add", name="x", role="seller", stdin=io.StringIO(PW), err=err) == 2
    assert "needs --seller" in err.getvalue()
    assert run_user(store, "remove", name="nobody", err=io.StringIO()) == 1
    # the real command line: password piped in, never an argument
    done = subprocess.run(
        [sys.executable, "app.py", "--store", str(store), "user", "add", "ann", "--role", "seller",
         "--seller", "S-0003"],
        cwd=ROOT, input=PW + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Users(AppState.beside(store)).authenticate("ann", PW).seller_id == "S-0003"
    done = subprocess.run(
        [sys.executable, "app.py", "--store", str(store), "user", "add", "ann", "--password", PW],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2  # there is no --password option


def test_a_wrong_password_shows_the_form_again_with_the_name_as_text(store, monkeypatch):
    monkeypatch.setenv("VOC_SECRET_KEY", SECRET)
    Users(AppState.beside(store)).add("ann", "admin", PW)
    client = app_module.create_app(store).server.test_client()
    answer = sign_in(client, '<b>ann"</b>', "wrong password")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Wrong user name or password" in text
    assert 'value="&lt;b&gt;ann&quot;&lt;/b&gt;"' in text and "<b>ann" not in text
    assert client.get("/_dash-layout").status_code == 401


def test_serve_on_an_empty_store_builds_the_demo_and_answers(tmp_path):
    """The README's first command on a fresh machine: the demo is built first, then the
    workers (forked from the server) answer. They once hung: the store was prepared in
    the process they were forked from, with polars' and DuckDB's thread pools running."""
    from tests.browser.conftest import serving

    with serving(tmp_path / "store", tmp_path / "server.log") as url:
        import urllib.request

        with urllib.request.urlopen(url + "_dash-layout", timeout=30) as answer:
            assert answer.status == 200 and b"Demo mode" in answer.read()

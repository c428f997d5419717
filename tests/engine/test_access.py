"""Who may see what (engine/access.py), and the peer rules for sellers (DESIGN.md 6)."""

from __future__ import annotations

from datetime import date

import pytest

from engine.access import (
    Refused,
    User,
    UserError,
    Users,
    check_offer,
    import_seller,
    resolve_viewer,
)
from engine.app_state import AppState
from engine.health import MARKETPLACE, Viewer
from engine.service import VocService
from tests.engine.builders import build, event, offer, orders_for

SELLERS = frozenset({"S1", "S2", "S3"})
CATS = frozenset({"Home", "Toys"})
PW = "a long enough password"


def resolve(user, view, cats=()):
    return resolve_viewer(user, view, cats, sellers=SELLERS, known_categories=CATS)


SELLER = User("ann", "seller", seller_id="S1")
CM = User("cat", "category_manager", categories=("Home",))
ADMIN = User("root", "admin")


def test_a_seller_is_always_themselves_whatever_the_request_asks():
    assert resolve(SELLER, "") == Viewer("seller", "S1")
    assert resolve(SELLER, "S1") == Viewer("seller", "S1")
    for view, cats in (("S2", ()), ("cm", ()), ("cm", ("Home",)), ("S1", ("Toys",)), ("x", ())):
        with pytest.raises(Refused):
            resolve(SELLER, view, cats)


def test_a_category_manager_sees_their_categories_or_a_subset():
    assert resolve(CM, "cm") == Viewer("category_manager", categories=("Home",))
    assert resolve(CM, "cm", ("Home",)) == Viewer("category_manager", categories=("Home",))
    for view, cats in (("cm", ("Toys",)), ("cm", ("Home", "Toys")), ("S1", ()), ("cm", ("Nope",))):
        with pytest.raises(Refused):
            resolve(CM, view, cats)


def test_demo_mode_and_admins_may_look_as_anyone_the_data_has():
    for user in (None, ADMIN):
        assert resolve(user, "S2") == Viewer("seller", "S2")
        assert resolve(user, "cm", ("Toys",)) == Viewer("category_manager", categories=("Toys",))
        assert resolve(user, "cm") == Viewer("category_manager", categories=())
        with pytest.raises(Refused):
            resolve(user, "S9")  # not in the data
        with pytest.raises(Refused):
            resolve(user, "cm", ("Garden",))
    assert ADMIN.viewer() == MARKETPLACE


def test_forged_offer_keys_are_refused():
    check_offer(SELLER, ("S1", "Home"))
    check_offer(CM, ("S2", "Home"))
    check_offer(None, ("S2", "Toys"))
    check_offer(ADMIN, ("S3", "Toys"))
    for user, owner in ((SELLER, ("S2", "Home")), (CM, ("S1", "Toys")), (None, None)):
        with pytest.raises(Refused):
            check_offer(user, owner)


def test_who_imports_as_which_seller():
    assert import_seller(None, "S7", "DEFAULT") == "S7"
    assert import_seller(None, "", "DEFAULT") == "DEFAULT"
    assert import_seller(SELLER, "", "DEFAULT") == "S1"
    assert import_seller(SELLER, "S1", "DEFAULT") == "S1"
    assert import_seller(ADMIN, "S2", "DEFAULT") == "S2"
    for user, asked in ((SELLER, "S2"), (CM, ""), (None, "../etc"), (None, "<b>x</b>")):
        with pytest.raises(Refused):
            import_seller(user, asked, "DEFAULT")


def test_users_are_kept_hashed_and_a_new_password_ends_sessions(tmp_path):
    users = Users(AppState.beside(tmp_path))
    assert not users.any()
    added = users.add("ann", "seller", PW, seller_id="S1")
    assert users.any() and added.session_epoch == 1
    row = users.state.user_row("ann")
    assert row["password_hash"].startswith("$argon2id$") and PW not in row["password_hash"]
    assert users.authenticate("ann", PW) == User("ann", "seller", "S1", (), 1)
    assert users.authenticate("ann", PW + "x") is None
    assert users.authenticate("nobody", PW) is None
    assert users.set_password("ann", "another long password")
    assert users.get("ann").session_epoch == 2
    assert users.authenticate("ann", PW) is None
    assert users.remove("ann") and not users.any() and users.get("ann") is None


@pytest.mark.parametrize(
    ("name", "role", "kw", "message"),
    [
        ("ann", "seller", {}, "needs --seller"),
        ("ann", "category_manager", {}, "at least one --category"),
        ("ann", "admin", {"seller_id": "S1"}, "only for the seller role"),
        ("ann", "seller", {"seller_id": "S1", "categories": ["Home"]}, "only for the category"),
        ("ann", "boss", {}, "unknown role"),
        ("an n", "admin", {}, "a user name"),
        ("", "admin", {}, "a user name"),
    ],
)
def test_bad_users_are_refused_with_a_reason(tmp_path, name, role, kw, message):
    users = Users(AppState.beside(tmp_path))
    with pytest.raises(UserError, match=message):
        users.add(name, role, PW, **kw)
    assert not users.any()


def test_short_passwords_and_taken_names_are_refused(tmp_path):
    users = Users(AppState.beside(tmp_path))
    with pytest.raises(UserError, match="at least 10"):
        users.add("ann", "admin", "short")
    users.add("ann", "admin", PW)
    with pytest.raises(UserError, match="already a user"):
        users.add("ann", "admin", PW)


# --- peers a seller may see ----------------------------------------------------------


DAY = date(2026, 3, 31)


def _store(sellers: int, offers_each: int):
    offers, orders, feedback = [], [], []
    for s in range(sellers):
        for i in range(offers_each):
            sid, sku = f"S{s}", f"K{s}-{i}"
            offers.append(offer(sid, sku))
            orders += orders_for(40, date(2026, 2, 1), sid, sku)
            feedback += [event(date(2026, 2, 10 + j), sid, sku) for j in range(s % 3)]
    return VocService.over(build(offers, orders, feedback))


def test_a_seller_sees_no_peer_figures_of_a_group_with_fewer_than_5_other_sellers():
    svc = _store(sellers=3, offers_each=10)  # 3 sellers: no level qualifies
    seller = svc.offers(Viewer("seller", "S1"), DAY, 90)
    assert seller.height == 10
    assert seller["peer_rate"].is_null().all() and seller["peer_offers"].is_null().all()
    assert seller["explanation"].str.contains("Peer figures are withheld").all()
    assert seller["ncx_orders"].to_list() == [1] * 10  # their own figures stay
    cm = svc.offers(Viewer("category_manager"), DAY, 90)
    assert cm["peer_rate"].is_not_null().all()  # a category manager sees the group
    trend = svc.trend(Viewer("seller", "S1"), DAY, 90, "S1", "K1-0")
    assert not trend.is_empty() and trend["peer_rate"].is_null().all()
    assert trend["peer_p25"].is_null().all()
    shares = svc.theme_shares(Viewer("seller", "S1"), DAY, 90, "S1", "K1-0")
    assert not shares.is_empty() and shares["peer_ncx"].sum() == 0  # no peers' mix either
    assert svc.theme_shares(Viewer("category_manager"), DAY, 90, "S1", "K1-0")["peer_ncx"].sum() > 0


def test_a_seller_sees_peer_figures_of_a_group_with_5_other_sellers():
    svc = _store(sellers=6, offers_each=4)  # 24 offers, 6 sellers: the group qualifies
    seller = svc.offers(Viewer("seller", "S1"), DAY, 90)
    assert seller["peer_rate"].is_not_null().all()
    assert not seller["explanation"].str.contains("withheld").any()
    trend = svc.trend(Viewer("seller", "S1"), DAY, 90, "S1", "K1-0")
    assert trend["peer_p25"].is_not_null().any()  # 23 peers: a band
    shares = svc.theme_shares(Viewer("seller", "S1"), DAY, 90, "S1", "K1-0")
    assert shares["peer_ncx"].sum() > 0  # the peers' theme mix, as an aggregate


def test_the_weekly_peer_band_needs_5_offers():
    svc = _store(sellers=1, offers_each=5)  # the offer and 4 peers (own catalogue)
    trend = svc.trend(MARKETPLACE, DAY, 90, "S0", "K0-0")
    assert trend["peer_rate"].is_not_null().any()  # pooled peers: still shown
    assert trend["peer_p25"].is_null().all() and trend["peer_p75"].is_null().all()
    wider = _store(sellers=1, offers_each=6).trend(MARKETPLACE, DAY, 90, "S0", "K0-0")
    assert wider["peer_p25"].is_not_null().any()


def test_an_import_job_is_followed_only_by_who_started_it(tmp_path):
    import json as _json

    from engine.jobs import ImportJobs

    jobs = ImportJobs(tmp_path)
    jobs.folder.mkdir(parents=True)
    state = {"state": "done", "files": ["orders.txt"], "owner": "ann", "pid": 1}
    (jobs.folder / "0123456789abcdef.json").write_text(_json.dumps(state))
    assert jobs.status("0123456789abcdef", "ann")["files"] == ["orders.txt"]
    assert jobs.status("0123456789abcdef", "bob") is None
    assert jobs.status("0123456789abcdef", None) is None  # demo mode: not a signed-in job
    assert jobs.status("../../etc/passwd", "ann") is None

"""The viewer of a callback, from the server's session (never from the browser).

Every callback that reads data gets its viewer from :func:`viewer`: the page state's
"View as" and category pick are only what the browser *asks* for; the engine
(``VocService.viewer_for``, ``engine.access``) decides, for the signed-in user of the
request (``serving.auth``), and refuses what they may not see. :func:`offer` does the same
for an offer key the browser names.
"""

from __future__ import annotations

from callbacks import state as st
from engine.health import Viewer
from serving.auth import current_user


def viewer(service, state: st.PageState) -> Viewer:
    return service.viewer_for(current_user(), state.view, state.cm_categories)


def offer(service, selected: str | None) -> tuple[str, str] | None:
    """The selected offer's key (``"seller_id|sku"``), None when none is selected;
    Refused when it names an offer the user may never see or that does not exist."""
    key = st.offer_key(st.PageState(offer=selected or ""))
    if key is not None:
        service.check_offer(current_user(), *key)
    return key


def default_view(service) -> str:
    """The view the page opens with: a signed-in seller's own, a category manager's,
    else the data's default (the demo's featured seller)."""
    user = current_user()
    if user is None or user.is_admin:
        return service.default_view()
    return user.seller_id or "" if user.role == "seller" else st.CM


def views(service) -> frozenset[str]:
    """The seller views the user may ask for (every seller in demo mode or for an admin)."""
    user = current_user()
    if user is None or user.is_admin:
        return frozenset(service.sellers())
    return frozenset({user.seller_id}) if user.role == "seller" else frozenset()


def view_options(service) -> list[dict]:
    """The "View as" choices the user may have: every seller and a category manager in
    demo mode or for an admin; a seller only themselves; a category manager only that."""
    user = current_user()
    if user is None or user.is_admin:
        return st.viewer_options(service.sellers())
    if user.role == "seller":
        return st.viewer_options([user.seller_id or ""])[1:]
    return st.viewer_options([])


def user_name() -> str | None:
    """The signed-in user's name (None in demo mode), e.g. for who recorded an action."""
    user = current_user()
    return user.name if user else None

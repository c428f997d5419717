"""The page state: what the URL holds, what the controls show, and how clicks change it.

Pure functions only, so every transition is tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from urllib.parse import parse_qs, urlencode

from engine.policy import SHOWN_LEVELS, WINDOWS
from engine.service import GridQuery
from layouts.ids import ID

CM = "cm"  # the "View as" value of a category manager


@dataclass(frozen=True)
class PageState:
    view: str = ""
    cm_categories: tuple[str, ...] = ()
    as_of: str = ""
    window: int = 90
    health: tuple[str, ...] = ()
    action_required: bool = False
    at_risk: bool = False
    categories: tuple[str, ...] = ()
    subcategories: tuple[str, ...] = ()
    price_bands: tuple[str, ...] = ()
    fulfilment: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    with_comments: bool = False
    search: str = ""
    sort: str = ""  # "column:asc|desc" of a grid column; "" is worst first
    offer: str = ""  # "seller_id|sku"
    resolve: bool = False


@dataclass(frozen=True)
class Bounds:
    """What a link may name: the viewers there are and the days the data covers."""

    views: frozenset[str]
    first_day: date
    last_day: date
    sortable: frozenset[str] = frozenset()


# (component id, property, state field). Lists become tuples, checkboxes booleans.
CONTROLS: tuple[tuple[str, str, str], ...] = (
    (ID.VIEW_AS, "value", "view"),
    (ID.CM_CATEGORIES, "value", "cm_categories"),
    (ID.AS_OF, "date", "as_of"),
    (ID.WINDOW, "value", "window"),
    (ID.F_HEALTH, "value", "health"),
    (ID.F_ACTION, "value", "action_required"),
    (ID.F_AT_RISK, "value", "at_risk"),
    (ID.F_CATEGORY, "value", "categories"),
    (ID.F_SUBCATEGORY, "value", "subcategories"),
    (ID.F_PRICE_BAND, "value", "price_bands"),
    (ID.F_FULFILMENT, "value", "fulfilment"),
    (ID.F_STATUS, "value", "statuses"),
    (ID.F_WITH_COMMENTS, "value", "with_comments"),
    (ID.F_SEARCH, "value", "search"),
    (ID.GRID_SORT, "data", "sort"),
    (ID.SELECTED_OFFER, "data", "offer"),
    (ID.RESOLVE_MODE, "data", "resolve"),
)
_TYPES = {f.name: f.type for f in fields(PageState)}
_URL_KEYS = {
    "view": "view",
    "cm_categories": "cats",
    "as_of": "as_of",
    "window": "window",
    "health": "health",
    "action_required": "action",
    "at_risk": "risk",
    "categories": "category",
    "subcategories": "subcategory",
    "price_bands": "band",
    "fulfilment": "channel",
    "statuses": "status",
    "with_comments": "comments",
    "search": "q",
    "sort": "sort",
    "offer": "offer",
    "resolve": "resolve",
}


def seller_names() -> dict[str, str]:
    """Names of the sellers that have one (the demo's); others are shown by id."""
    from engine.demo import SELLER_NAMES

    return dict(SELLER_NAMES)


def viewer_options(sellers: list[str]) -> list[dict]:
    """'View as' choices: a category manager, then every seller (the demo seller first)."""
    from engine.demo import DEMO_SELLER_ID, SELLER_NAMES

    def label(seller_id: str) -> str:
        name = SELLER_NAMES.get(seller_id)
        suffix = " (demo)" if seller_id == DEMO_SELLER_ID else ""
        return f"Seller: {name or seller_id}{suffix}"

    ordered = sorted(sellers, key=lambda s: (s != DEMO_SELLER_ID, s))
    return [{"label": "Category manager", "value": CM}] + [
        {"label": label(s), "value": s} for s in ordered
    ]


def defaults(view: str, as_of: date) -> PageState:
    return PageState(view=view, as_of=as_of.isoformat())


def from_controls(values: list) -> PageState:
    """State from the controls' values, in CONTROLS order."""
    kw = {}
    for (_id, _prop, name), value in zip(CONTROLS, values, strict=True):
        kw[name] = _coerce(name, value)
    return PageState(**kw)


def to_controls(state: PageState) -> list:
    """Control values for a state, in CONTROLS order."""
    out = []
    for _id, _prop, name in CONTROLS:
        value = getattr(state, name)
        if isinstance(value, tuple):
            value = list(value)
        elif name in ("action_required", "at_risk", "with_comments"):
            value = ["yes"] if value else []
        out.append(value)
    return out


def _coerce(name: str, value):
    kind = _TYPES[name]
    if kind == "tuple[str, ...]":
        if value is None or value == "":
            return ()
        return tuple(str(v) for v in (value if isinstance(value, list | tuple) else [value]))
    if kind == "bool":
        if isinstance(value, list | tuple):
            return "yes" in value
        return bool(value) and value not in ("0", "false", "no")
    if kind == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            return 90
        return number if number in WINDOWS else 90
    return "" if value is None else str(value)


def parse_query(
    search: str | None, base: PageState, bounds: Bounds | None = None
) -> tuple[PageState, list[str]]:
    """State from a URL query string, and notes on what of it could not be followed.

    Missing keys keep ``base``. A viewer, as-of day, window or sort the data does not have
    falls back to ``base`` with a note saying so (a link from another store, an old
    bookmark); unknown filter values are dropped.
    """
    params = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    kw = {}
    for name, key in _URL_KEYS.items():
        if key not in params:
            continue
        raw = params[key][-1]
        value = raw.split(",") if _TYPES[name] == "tuple[str, ...]" else raw
        kw[name] = _coerce(name, value)
    state = replace(base, **kw)
    notes: list[str] = []
    if "window" in params and str(state.window) != params["window"][-1]:
        notes.append(
            f"The link's window ({params['window'][-1]!r}) is not one of "
            f"{', '.join(str(w) for w in WINDOWS)} days: showing {state.window} days."
        )
    if state.health:
        state = replace(state, health=tuple(h for h in state.health if h in SHOWN_LEVELS))
    if state.as_of:
        try:
            day = date.fromisoformat(state.as_of)
        except ValueError:
            notes.append(
                f"The link's as-of day {state.as_of!r} is not a day: showing {base.as_of}."
            )
            state = replace(state, as_of=base.as_of)
        else:
            if bounds and not bounds.first_day <= day <= bounds.last_day:
                notes.append(
                    f"The data covers {bounds.first_day} to {bounds.last_day}; the link's as-of "
                    f"day {state.as_of} is outside it: showing {base.as_of}."
                )
                state = replace(state, as_of=base.as_of)
    if bounds and state.view and state.view != CM and state.view not in bounds.views:
        notes.append(f"There is no seller {state.view!r} in this data: showing {base.view}.")
        state = replace(state, view=base.view, offer="", resolve=False)
    if state.sort and not _valid_sort(state.sort, bounds):
        state = replace(state, sort="")
    return one_category_picker(state), notes


def one_category_picker(state: PageState) -> PageState:
    """A category manager picks categories in the header only: a sidebar category (from a
    link or a seller's view) becomes the header's, so no filter hides out of sight."""
    if state.view != CM or not state.categories:
        return state
    return replace(state, cm_categories=state.cm_categories or state.categories, categories=())


def _valid_sort(sort: str, bounds: Bounds | None) -> bool:
    column, _, direction = sort.partition(":")
    if direction not in ("asc", "desc"):
        return False
    return bounds is None or not bounds.sortable or column in bounds.sortable


def sort_of(state: PageState) -> tuple[str, str] | None:
    """(column, "asc" | "desc") of the grid's sort, None for worst first."""
    if not state.sort:
        return None
    column, _, direction = state.sort.partition(":")
    return column, direction


def to_query(state: PageState, base: PageState) -> str:
    """The URL query string of a state; values equal to ``base`` are left out."""
    params = {}
    for name, key in _URL_KEYS.items():
        value = getattr(state, name)
        if value == getattr(base, name):
            continue
        if isinstance(value, tuple):
            params[key] = ",".join(value)
        elif isinstance(value, bool):
            params[key] = "1" if value else "0"
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else ""


def toggle_tile(state: PageState, level: str) -> PageState:
    """Clicking a tile shows only that level; clicking it again clears the filter."""
    if level == "action_required":
        return replace(state, action_required=not state.action_required, health=(), at_risk=False)
    if level == "at_risk":
        return replace(state, at_risk=not state.at_risk, health=(), action_required=False)
    if state.health == (level,):
        return replace(state, health=())
    return replace(state, health=(level,), action_required=False, at_risk=False)


def clear_filters(state: PageState) -> PageState:
    """Keep who is looking, when and the sort; drop every filter and the selection."""
    return PageState(
        view=state.view,
        cm_categories=state.cm_categories,
        as_of=state.as_of,
        window=state.window,
        sort=state.sort,
    )


def select_offer(state: PageState, key: str | None, *, resolve: bool = False) -> PageState:
    return replace(state, offer=key or "", resolve=resolve)


def as_of_of(state: PageState) -> date:
    return date.fromisoformat(state.as_of)


def grid_query_of(state: PageState) -> GridQuery:
    return GridQuery(
        health=state.health,
        action_required=state.action_required,
        at_risk=state.at_risk,
        categories=state.categories,
        subcategories=state.subcategories,
        price_bands=state.price_bands,
        fulfilment=state.fulfilment,
        statuses=state.statuses,
        with_comments=state.with_comments,
        search=state.search,
    )


def offer_key(state: PageState) -> tuple[str, str] | None:
    if "|" not in state.offer:
        return None
    seller_id, sku = state.offer.split("|", 1)
    return seller_id, sku

"""Every component id of the page, in one place.

Plain ids are members of ``ID``; pattern-matching ids come from the small factories
below, so callbacks and layouts can never disagree on a spelling.
"""

from __future__ import annotations

from enum import StrEnum


class ID(StrEnum):
    URL = "url"
    # header
    VIEW_AS = "view-as"
    CM_CATEGORIES = "cm-categories"
    CM_CATEGORIES_COL = "cm-categories-col"
    AS_OF = "as-of"
    WINDOW = "window"
    # tiles
    TILES = "tiles"
    PEER_NOTES = "peer-notes"
    # filters
    F_HEALTH = "filter-health"
    F_CATEGORY = "filter-category"
    F_CATEGORY_BOX = "filter-category-box"
    F_SUBCATEGORY = "filter-subcategory"
    F_PRICE_BAND = "filter-price-band"
    F_FULFILMENT = "filter-fulfilment"
    F_STATUS = "filter-status"
    F_WITH_COMMENTS = "filter-with-comments"
    F_ACTION = "filter-action-required"
    F_AT_RISK = "filter-at-risk"
    RISK_NOTE = "offer-risk-note"  # why the selected offer is at risk (early warning)
    CAUSED_BY_NOTE = "offer-caused-by-note"  # NCX orders not the seller's to fix
    F_SEARCH = "filter-search"
    F_CLEAR = "filter-clear"
    # grid
    GRID = "offers-grid"
    GRID_TITLE = "offers-grid-title"
    GRID_QUERY = "offers-grid-query"
    GRID_COUNT = "offers-grid-count"
    GRID_REFRESHED = "offers-grid-refreshed"
    GRID_DOWNLOAD = "offers-grid-download"
    GRID_DOWNLOAD_BUTTON = "offers-grid-download-button"  # CSV
    GRID_DOWNLOAD_XLSX = "offers-grid-download-xlsx"
    GRID_SORT = "offers-grid-sort"  # "column:asc|desc" the page state holds, "" worst first
    GRID_FOCUS = "offers-grid-focus"  # {key, index}: the selected row to show and highlight
    GRID_FOCUSED = "offers-grid-focused"
    GRID_SORTED = "offers-grid-sorted"
    SELECTED_OFFER = "selected-offer"
    # detail
    DETAIL = "offer-detail"
    DETAIL_TITLE = "offer-detail-title"
    DETAIL_BODY = "offer-detail-body"
    EXPLANATION = "offer-explanation"
    TREND = "offer-trend"
    BY_SOURCE = "offer-by-source"
    BY_THEME = "offer-by-theme"
    ACTIONS = "offer-actions"
    # what customers complain about: theme shares, weekly mix, phrases (offer and group)
    THEME_SECTION = "offer-themes"
    THEME_SHARES = "offer-theme-shares"
    THEME_WEEKS = "offer-theme-weeks"
    THEME_PHRASES = "offer-theme-phrases"
    # recording a seller action (layouts/actions.py)
    ACTION_KIND = "action-kind"
    ACTION_DATE = "action-date"
    ACTION_NOTE = "action-note"
    ACTION_SAVE = "action-save"
    ACTION_FEEDBACK = "action-feedback"
    ACTION_SAVED = "action-saved"  # bumped after a save: the detail reads the actions again
    # comments
    COMMENTS_CARD = "comments-card"
    COMMENTS_TITLE = "comments-title"
    COMMENTS_GRID = "comments-grid"
    COMMENTS_COUNT = "comments-count"
    REMEDY = "comments-remedy"
    C_SOURCE = "comments-source"
    C_THEME = "comments-theme"
    C_COUNTED = "comments-counted"
    C_SINCE = "comments-since"
    C_TEXT = "comments-text"
    COMMENTS_DOWNLOAD = "comments-download"
    COMMENTS_CSV = "comments-download-csv"
    COMMENTS_XLSX = "comments-download-xlsx"
    NCX_DOWNLOAD = "ncx-orders-download"
    NCX_CSV = "ncx-orders-download-csv"
    NCX_XLSX = "ncx-orders-download-xlsx"
    NCX_TITLE = "ncx-orders-title"  # the offer detail's traced NCX orders
    NCX_GRID = "ncx-orders-grid"
    RESOLVE_MODE = "comments-resolve-mode"
    # peers
    PEER_CARD = "peer-card"
    PEER_HIST = "peer-histogram"
    PEER_WORST = "peer-worst"
    PEER_THEME_SECTION = "peer-themes"
    PEER_THEME_SHARES = "peer-theme-shares"
    PEER_THEME_WEEKS = "peer-theme-weeks"
    PEER_THEME_PHRASES = "peer-theme-phrases"
    # import on the page
    IMPORT_OPEN = "import-open"
    IMPORT_MODAL = "import-modal"
    IMPORT_SELLER = "import-seller"
    IMPORT_UPLOAD = "import-upload"
    IMPORT_PROGRESS = "import-progress"
    IMPORT_STATUS = "import-status"
    IMPORT_POLL = "import-poll"
    IMPORT_JOB = "import-job"
    IMPORT_SENT = "import-sent"  # the upload's answer: {job, files} or {error}
    DATA_VERSION = (
        "data-version"  # the store's data version the page shows; views refresh on change
    )
    DATA_CHECK = "data-check"
    # transparency
    HOW_PANEL = "how-health-panel"
    HOW_BODY = "how-health-body"
    REPORT_LINK = "report-link"
    ERROR = "page-error"
    CHART_SAVED = "chart-saved"
    LINK_NOTE = "link-note"  # what of an opened link could not be followed


def tile(level: str) -> dict[str, str]:
    """Id of the health tile for ``level`` (or 'action_required')."""
    return {"type": "health-tile", "level": level}


PEER_OFFER = "peer-offer"
HOW_OPEN = "how-health-open"
CHART_DOWNLOAD = "chart-download"


def chart_download(graph: str, fmt: str) -> dict[str, str]:
    """Id of the link downloading chart ``graph`` as ``fmt`` ("png" or "svg")."""
    return {"type": CHART_DOWNLOAD, "graph": graph, "format": fmt}


def how_link(where: str) -> dict[str, str]:
    """Id of a button opening "How health is determined" (header, grid, an explanation)."""
    return {"type": HOW_OPEN, "where": where}


def peer_offer(key: str) -> dict[str, str]:
    """Id of the button opening offer ``key`` ("seller_id|sku") in the peer table."""
    return {"type": PEER_OFFER, "key": key}


def all_ids(component) -> list:
    """Every id in a component tree (for the duplicate-id test)."""
    found = []

    def walk(node) -> None:
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "to_plotly_json"):
            return
        node_id = getattr(node, "id", None)
        if node_id is not None:
            found.append(node_id)
        walk(getattr(node, "children", None))

    walk(component)
    return found

"""The page: header, health tiles, filters, offers grid, offer detail, comments, peers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from engine.policy import WINDOWS, Policy
from engine.themes import THEME_LABELS
from layouts import importing
from layouts.actions import action_form
from layouts.figures import SOURCE_LABELS, empty_figure
from layouts.grid import COMMENT_COLUMNS, HEALTH_OPTIONS, offer_columns
from layouts.ids import ID, chart_download, how_link, tile
from layouts.theme import (
    BADGE_COLOURS,
    HEALTH_COLOURS,
    HEALTH_TEXT,
    RISK_COLOUR,
    STATUS_LABELS,
    TILE_LABELS,
    TILE_LEVELS,
)
from layouts.traced import traced_section

# While a view reloads, the old one stays on screen (dimmed) under the spinner until the
# new one replaces it whole: never blank, never old and new together.
STILL_SHOWN = {"visibility": "visible", "opacity": 0.45}
SEARCH_DEBOUNCE_MS = 400  # search applies this long after the last key typed
# Every chart: no plotly logo, no "Share chart" (it uploads the figure to Plotly Cloud),
# no Chart Studio link; nothing on the page can send data elsewhere.
GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def chart(graph_id: str, figure: dict) -> html.Div:
    """A chart with its PNG and SVG download links (assets/charts.js makes the images)."""

    def link(fmt: str) -> html.Button:
        return html.Button(
            fmt.upper(), id=chart_download(graph_id, fmt), n_clicks=0,
            className="btn btn-link btn-sm p-0 align-baseline",
            title=f"Download this chart as {fmt.upper()} at report resolution",
        )  # fmt: skip

    return html.Div(
        [
            html.Div(
                ["Download chart: ", link("png"), " · ", link("svg")],
                className="chart-downloads small text-muted",
            ),  # fmt: skip
            dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG),
        ],
        className="chart",
    )


@dataclass(frozen=True)
class Who:
    """Who the page is for, as the server knows it: ``name`` and ``about`` of the signed-in
    user (None in demo mode), the session's cross-site token for the sign-out form, and
    whether they may import reports."""

    name: str | None = None
    about: str = ""
    csrf: str = ""
    can_import: bool = True


DEMO = Who()


def account(who: Who) -> html.Div | html.Form:
    """Demo mode said as such, or the signed-in user with a sign-out button."""
    if who.name is None:
        return html.Span(
            "Demo mode",
            className="badge text-bg-warning",
            title="No sign-in: anyone can view as any seller. Add a user "
            "(python app.py user add) to require signing in.",
        )
    return html.Form(
        [
            html.Span(f"Signed in as {who.name}", className="small signed-in", title=who.about),
            dcc.Input(type="hidden", name="csrf_token", value=who.csrf),
            html.Button("Sign out", type="submit", className="btn btn-sm btn-outline-light"),
        ],
        method="post",
        action="/logout",
        className="d-flex gap-2 align-items-center mb-0",
    )


def header(
    sellers: list[dict], categories: list[str], days: tuple[date, date], who: Who = DEMO
) -> dbc.Navbar:
    """Who is looking, when, over which window; how health works, the report, imports;
    demo mode or who is signed in.

    ``days``: (first, last) day of the data, the as-of days the picker offers."""
    first, last = days
    return dbc.Navbar(
        dbc.Container(
            [
                html.Span("Voice of the Customer", className="navbar-brand fw-semibold brand"),
                dbc.Row(
                    [
                        dbc.Col(
                            # read by screen readers; the choice itself says "Seller: ..."
                            html.Label("View as", htmlFor=ID.VIEW_AS, className="visually-hidden"),
                            width="auto",
                        ),
                        dbc.Col(
                            dcc.Dropdown(
                                id=ID.VIEW_AS,
                                options=sellers,
                                clearable=False,
                                searchable=True,
                                className="view-as",
                                style={"width": f"{view_as_width(sellers)}px"},
                            ),
                            width="auto",
                        ),
                        dbc.Col(
                            dcc.Dropdown(
                                id=ID.CM_CATEGORIES,
                                options=categories,
                                multi=True,
                                placeholder="All categories",
                                style={"width": "220px"},
                            ),
                            id=ID.CM_CATEGORIES_COL,
                            width="auto",
                            style={"display": "none"},
                        ),
                        dbc.Col(
                            html.Label(
                                "As of", htmlFor=ID.AS_OF, className="text-white-50 small mb-0"
                            ),
                            width="auto",
                        ),
                        dbc.Col(
                            html.Div(
                                dcc.DatePickerSingle(
                                    id=ID.AS_OF,
                                    display_format="YYYY-MM-DD",
                                    first_day_of_week=1,
                                    min_date_allowed=first.isoformat(),
                                    max_date_allowed=last.isoformat(),
                                    initial_visible_month=last.isoformat(),
                                    clearable=False,
                                ),
                                title=f"The data covers {first} to {last}",
                            ),
                            width="auto",
                        ),
                        dbc.Col(
                            html.Label(
                                "Window", htmlFor=ID.WINDOW, className="text-white-50 small mb-0"
                            ),
                            width="auto",
                        ),
                        dbc.Col(
                            dcc.Dropdown(
                                id=ID.WINDOW,
                                clearable=False,
                                searchable=False,
                                style={"width": "124px"},
                                options=[{"label": f"{w} days", "value": w} for w in WINDOWS],
                            ),
                            width="auto",
                        ),
                    ],
                    className="g-2 align-items-center flex-xl-nowrap",
                ),
                html.Div(
                    [
                        how_button(how_link("header"), "How health works", "btn-outline-light"),
                        html.A(
                            "Report",
                            id=ID.REPORT_LINK,
                            href="/report",
                            target="_blank",
                            rel="noopener",
                            className="btn btn-sm btn-outline-light",
                            title="The printable report of this view (A4 or Letter), in a new tab",
                        ),
                        importing.open_button(shown=who.can_import),
                        account(who),
                    ],
                    className="d-flex gap-2 align-items-center ms-auto ps-2 text-nowrap",
                ),
            ],
            fluid=True,
            className="gap-2 flex-wrap",
        ),
        color="dark",
        dark=True,
        className="mb-2 py-2",
    )


def view_as_width(options: list[dict]) -> int:
    """Wide enough for the longest 'View as' label (none is cut), within 200-420 px."""
    longest = max((len(str(o.get("label", ""))) for o in options), default=0)
    return max(200, min(420, round(56 + 7.6 * longest)))


def how_button(cid, label: str, css: str = "btn-link") -> html.Button:
    """A button that opens the rules of health (the side panel)."""
    return html.Button(
        label,
        id=cid,
        n_clicks=0,
        className=f"btn btn-sm {css}",
        title="The rules behind the health levels, for the window shown",
    )


def tiles() -> dbc.Row:
    """One tile per health level plus 'Action required'; counts filled by a callback."""
    cells = []
    for level in (*TILE_LEVELS, "action_required", "at_risk"):
        colour = HEALTH_COLOURS.get(level, "#ffffff")
        style = (
            {"borderLeft": f"8px solid {colour}"}
            if level not in ("action_required", "at_risk")
            else {
                "borderLeft": f"8px solid {'#6f42c1' if level == 'action_required' else RISK_COLOUR}"
            }
        )
        cells.append(
            dbc.Col(
                html.Button(
                    [
                        html.Div("–", className="tile-count", id={**tile(level), "part": "count"}),
                        html.Div(TILE_LABELS[level], className="tile-label"),
                    ],
                    id=tile(level),
                    className="health-tile",
                    style=style,
                    title=f"Show only {TILE_LABELS[level].lower()} offers (click again to clear)",
                    n_clicks=0,
                ),
                xs=6,
                md=3,
                xl=True,
            )
        )
    return dbc.Row(cells, className="g-2 mb-2", id=ID.TILES)


def _check(label: str, component) -> html.Div:
    return html.Div(
        [html.Label(label, className="form-label small fw-semibold mb-1"), component],
        className="mb-3",
    )


def filters(categories: list[str], subcategories: list[str], price_bands: list[str]) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Filters", className="h6"),
                _check(
                    "Search",
                    dbc.Input(
                        id=ID.F_SEARCH,
                        type="search",
                        debounce=SEARCH_DEBOUNCE_MS,
                        placeholder="Title, ASIN or SKU",
                        size="sm",
                    ),
                ),
                _check(
                    "CX health",
                    dcc.Checklist(
                        id=ID.F_HEALTH,
                        options=HEALTH_OPTIONS,
                        value=[],
                        labelClassName="d-block small",
                        inputClassName="me-1",
                    ),
                ),
                html.Div(
                    _check(
                        "Category",
                        dcc.Dropdown(
                            id=ID.F_CATEGORY, options=categories, multi=True, placeholder="Any"
                        ),
                    ),
                    id=ID.F_CATEGORY_BOX,  # hidden for a category manager: the header picks
                ),
                _check(
                    "Subcategory",
                    # every subcategory at first, so one in a link survives the first draw
                    # (a dropdown drops values it has no option for); narrowed by category
                    dcc.Dropdown(
                        id=ID.F_SUBCATEGORY, options=subcategories, multi=True, placeholder="Any"
                    ),
                ),
                _check(
                    "Price band",
                    dcc.Dropdown(
                        id=ID.F_PRICE_BAND,
                        multi=True,
                        placeholder="Any",
                        options=[*price_bands, "unknown"],
                    ),
                ),
                _check(
                    "Channel",
                    dcc.Checklist(
                        id=ID.F_FULFILMENT,
                        options=["FBA", "MFN"],
                        value=[],
                        inline=True,
                        inputClassName="me-1",
                        labelClassName="me-3 small",
                    ),
                ),
                _check(
                    "Listing status",
                    dcc.Checklist(
                        id=ID.F_STATUS,
                        value=[],
                        inputClassName="me-1",
                        labelClassName="d-block small",
                        options=[{"label": v, "value": k} for k, v in STATUS_LABELS.items()],
                    ),
                ),
                dcc.Checklist(
                    id=ID.F_WITH_COMMENTS,
                    value=[],
                    inputClassName="me-1",
                    labelClassName="small",
                    options=[{"label": "Only offers with comments", "value": "yes"}],
                ),
                dcc.Checklist(
                    id=ID.F_ACTION,
                    value=[],
                    inputClassName="me-1",
                    labelClassName="small",
                    options=[{"label": "Only action required", "value": "yes"}],
                ),
                dcc.Checklist(
                    id=ID.F_AT_RISK,
                    value=[],
                    inputClassName="me-1",
                    labelClassName="small",
                    options=[{"label": "Only at risk (early warning)", "value": "yes"}],
                ),
                dbc.Button(
                    "Clear filters",
                    id=ID.F_CLEAR,
                    size="sm",
                    color="secondary",
                    outline=True,
                    className="mt-3 w-100",
                ),
            ]
        ),
        className="mb-2",
    )


def download_links(csv_id: str, xlsx_id: str, what: str) -> html.Span:
    """ "Download: CSV · Excel" of what a card shows, at its header's right."""

    def link(label: str, cid: str) -> dbc.Button:
        return dbc.Button(
            label, id=cid, size="sm", color="link", className="p-0 align-baseline",
            title=f"Download the {what} as shown (rows, order, values) as {label}",
        )  # fmt: skip

    return html.Span(
        ["Download: ", link("CSV", csv_id), " · ", link("Excel", xlsx_id)],
        className="float-end small",
    )


def offers_card(show_seller: bool) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Offers", id=ID.GRID_TITLE, className="fw-semibold"),
                    html.Span(id=ID.GRID_COUNT, className="ms-3 text-muted small"),
                    how_button(
                        how_link("grid"),
                        "How health is determined",
                        "btn-link small p-0 ms-3 align-baseline",
                    ),
                    download_links(ID.GRID_DOWNLOAD_BUTTON, ID.GRID_DOWNLOAD_XLSX, "offers"),
                    dcc.Download(id=ID.GRID_DOWNLOAD),
                ],
            ),
            dbc.CardBody(
                dag.AgGrid(
                    id=ID.GRID,
                    columnDefs=offer_columns(show_seller),
                    rowModelType="infinite",
                    defaultColDef={
                        "sortable": True,
                        "resizable": True,
                        "wrapHeaderText": True,
                        "autoHeaderHeight": True,
                    },
                    dashGridOptions={
                        "rowBuffer": 0,
                        "cacheBlockSize": 100,
                        "maxBlocksInCache": 20,
                        "infiniteInitialRowCount": 1,
                        # One block request in flight: dash-ag-grid answers the latest
                        # request, so with two in flight an answer can land in the wrong
                        # block, and a purged block that is never answered holds its slot.
                        "maxConcurrentDatasourceRequests": 1,
                        "rowSelection": {
                            "mode": "singleRow",
                            "checkboxes": False,
                            "enableClickSelection": True,
                        },
                        "getRowId": {"function": "params.data.key"},
                        "tooltipShowDelay": 400,
                        "ensureDomOrder": True,
                        "localeText": {"noRowsToShow": "No offers match these filters"},
                    },
                    getRowId="params.data.key",
                    # a sort chosen on a header and a row opened from the keyboard come back
                    # as eventData (assets/dashAgGridFunctions.js)
                    eventListeners={
                        "sortChanged": ["sortChosen(params, setEventData)"],
                        "cellKeyDown": ["rowOpened(params, setEventData)"],
                    },
                    style={"height": "440px"},
                    className="ag-theme-quartz",
                ),
                className="p-1",
            ),
        ],
        className="mb-2",
    )


def detail_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Span(
                    "Select an offer in the grid to see its trend and comments",
                    id=ID.DETAIL_TITLE,
                    className="fw-semibold",
                )
            ),
            dbc.CardBody(
                dcc.Loading(
                    [
                        html.P(id=ID.EXPLANATION, className="explanation mb-2"),
                        html.Div(id=ID.ACTIONS, className="small mb-2"),
                        action_form(),
                        chart(
                            ID.TREND, empty_figure("Select an offer", "Weekly NCX rate vs peers")
                        ),
                        dbc.Row(
                            [
                                dbc.Col(
                                    chart(
                                        ID.BY_SOURCE,
                                        empty_figure("Select an offer", "Feedback by source"),
                                    ),
                                    md=6,
                                ),
                                dbc.Col(
                                    chart(
                                        ID.BY_THEME,
                                        empty_figure("Select an offer", "Feedback by theme"),
                                    ),
                                    md=6,
                                ),
                            ]
                        ),
                        complaints_section(
                            ID.THEME_SECTION, ID.THEME_SHARES, ID.THEME_WEEKS, ID.THEME_PHRASES
                        ),
                        traced_section(download_links),
                    ],
                    type="default",
                    delay_show=150,
                    overlay_style=STILL_SHOWN,
                ),
                id=ID.DETAIL_BODY,
                style={"visibility": "hidden", "height": 0, "overflow": "hidden"},
            ),
        ],
        id=ID.DETAIL,
        className="mb-2",
    )


COMPLAINTS_NOTE = (
    "Each NCX order counts once, for the theme of its first counted complaint; delivery "
    "problems and buyer's remorse never count. By week: the orders purchased in the 4 weeks "
    "to each week, matured weeks only (younger purchases' returns have not all arrived)."
)


def complaints_section(
    section_id: str,
    shares_id: str,
    weeks_id: str,
    phrases_id: str,
    heading: str = "What customers complain about",
) -> html.Section:
    """Theme shares, the weekly theme mix and the phrases with example comments."""
    return html.Section(
        [
            html.H3(heading, className="h6 mt-3 mb-1"),
            html.P(COMPLAINTS_NOTE, className="small text-muted mb-1"),
            dbc.Row(
                [
                    dbc.Col(chart(shares_id, empty_figure("Select an offer", "Themes")), lg=5),
                    dbc.Col(chart(weeks_id, empty_figure("Select an offer", "By week")), lg=7),
                ]
            ),
            html.Div(id=phrases_id, className="theme-phrases small"),
        ],
        id=section_id,
        className="complaints",
    )


def comments_card() -> dbc.Card:
    theme_options = [{"label": v, "value": k} for k, v in THEME_LABELS.items()]
    source_options = [{"label": v, "value": k} for k, v in SOURCE_LABELS.items()]
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span("Customer comments", id=ID.COMMENTS_TITLE, className="fw-semibold"),
                    html.Span(id=ID.COMMENTS_COUNT, className="ms-3 text-muted small"),
                    download_links(ID.COMMENTS_CSV, ID.COMMENTS_XLSX, "comments"),
                    dcc.Download(id=ID.COMMENTS_DOWNLOAD),
                ]
            ),
            dbc.CardBody(
                [
                    html.Div(id=ID.REMEDY),
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Dropdown(
                                    id=ID.C_SOURCE,
                                    options=source_options,
                                    multi=True,
                                    placeholder="Any source",
                                ),
                                md=4,
                                xl=3,
                            ),
                            dbc.Col(
                                dcc.Dropdown(
                                    id=ID.C_THEME,
                                    options=theme_options,
                                    multi=True,
                                    placeholder="Any theme",
                                ),
                                md=4,
                                xl=3,
                            ),
                            dbc.Col(
                                dcc.Dropdown(
                                    id=ID.C_COUNTED,
                                    clearable=True,
                                    placeholder="Counted or not",
                                    options=[
                                        {"label": "Counted", "value": "yes"},
                                        {"label": "Not counted", "value": "no"},
                                    ],
                                ),
                                md=4,
                                xl=2,
                            ),
                            dbc.Col(
                                dcc.DatePickerSingle(
                                    id=ID.C_SINCE,
                                    placeholder="Since",
                                    display_format="YYYY-MM-DD",
                                    clearable=True,
                                ),
                                md=6,
                                xl=2,
                            ),
                            dbc.Col(
                                dbc.Input(
                                    id=ID.C_TEXT,
                                    type="search",
                                    debounce=SEARCH_DEBOUNCE_MS,
                                    placeholder="Text in comment",
                                    size="sm",
                                ),
                                md=6,
                                xl=2,
                            ),
                        ],
                        className="g-2 mb-2",
                    ),
                    dcc.Loading(
                        dag.AgGrid(
                            id=ID.COMMENTS_GRID,
                            columnDefs=COMMENT_COLUMNS,
                            rowData=[],
                            defaultColDef={"sortable": True, "resizable": True, "filter": True},
                            dashGridOptions={
                                "localeText": {"noRowsToShow": "No comments match these filters"},
                                "getRowId": {"function": "params.data.id"},
                                # draw new rows at once, not on later animation frames, and
                                # do not animate them in: never old and new comments on
                                # screen together
                                "suppressAnimationFrame": True,
                                "animateRows": False,
                                # nine columns: draw them all, so a row read right of the
                                # fold (SKU, Decided by) is whole, as in the download
                                "suppressColumnVirtualisation": True,
                            },
                            getRowId="params.data.id",
                            style={"height": "420px"},
                            className="ag-theme-quartz",
                        ),
                        type="default",
                        delay_show=150,
                        overlay_style=STILL_SHOWN,
                    ),
                ]
            ),
        ],
        id=ID.COMMENTS_CARD,
        className="mb-2",
    )


def peers_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.Span("Peer group", className="fw-semibold")),
            dbc.CardBody(
                [
                    chart(
                        ID.PEER_HIST, empty_figure("Select an offer", "NCX rates in the peer group")
                    ),
                    html.Div(id=ID.PEER_WORST),
                    complaints_section(
                        ID.PEER_THEME_SECTION,
                        ID.PEER_THEME_SHARES,
                        ID.PEER_THEME_WEEKS,
                        ID.PEER_THEME_PHRASES,
                        "What the peer group's customers complain about",
                    ),
                ]
            ),
        ],
        id=ID.PEER_CARD,
        className="mb-2",
        style={"display": "none"},
    )


def how_health_rules(policy: Policy, window_days: int, as_of: str = "") -> list[str]:
    """The rules of docs/health.md in plain words, with the policy's numbers and the
    page's window (and as-of day, when given)."""
    bands = ", ".join(policy.price_band_labels())
    until = f"up to the as-of day ({as_of})" if as_of else "up to the as-of day"
    return [
        f"Window: orders purchased in the {window_days} days {until}; change both at the "
        "top of the page. Cancelled order lines are not orders.",
        "An order is an NCX order when a customer reported a product or listing problem on it by the "
        "as-of day: a return, refund or customer contact for a product, listing or unexplained reason, "
        "or a one-star review. One-star reviews without an order count as one NCX order each, never more "
        "than the orders.",
        "Never counted: delivery problems, buyer's remorse (changed mind, found it cheaper, ordered by "
        "mistake), reviews of two stars or more, and seller feedback. They are still shown in the comments.",
        "NCX rate = NCX orders ÷ orders.",
        f"Similar offers: offers that sold in the window in the same subcategory and price band ({bands}). "
        f"A group needs at least {policy.min_peer_offers} offers and offers from at least "
        f"{policy.min_other_sellers} other sellers; otherwise it widens to the subcategory, then the "
        "category, then the whole marketplace. Sellers only ever see peer totals. A store with one "
        "seller's data compares the seller's offers with each other, or with a benchmark file.",
        f"Peer rate: all NCX orders ÷ all orders of the similar offers, this offer left out "
        f"(at least {policy.peer_rate_floor * 100:g} %).",
        f"A {policy.interval_percent} % interval (Wilson score) around the offer's rate says how sure we are.",
        f"Very poor: the interval's low end is at least {policy.very_poor_factor:g} × the peer rate. "
        "Poor: its low end is above the peer rate. "
        f"Excellent: its high end is at most {policy.excellent_factor:g} × the peer rate. "
        "Good: its high end is below the peer rate. Fair: anything else.",
        f"Insufficient feedback: poor or very poor, but fewer than {policy.min_commented_ncx_orders} "
        "NCX orders carry a customer comment, so we cannot yet say what is wrong.",
        f"No recent sales: no orders in the {window_days}-day window. Deleted listings show in grey "
        "with the health they had on the day they were deleted.",
        "Worst first: by health, then by how far the interval's low end is above the peer rate, "
        "then by the NCX orders beyond the peers' share.",
        "The trend: a week's rate counts the NCX orders among that week's purchases; the line is "
        "the trailing 4-week rate with its interval, against the peers' 4-week rate and the middle "
        f"half of the peers. The health window is shaded. Weeks younger than {policy.return_lag_days} "
        "days are drawn as still maturing: their returns have not all arrived.",
        "Units from commingled stock (manufacturer barcode) are marked: they may not have been sold by you.",
        f"At risk (early warning), for offers still excellent, good or fair: a recent surge, at least "
        f"{policy.risk_min_recent_ncx} NCX orders among the orders of the last {policy.risk_recent_days} "
        "days whose interval's low end is above the same similar offers' rate over those days; or a "
        f"cluster, at least {policy.risk_cluster_orders} NCX orders of one theme whose first report fell "
        f"within {policy.risk_cluster_days} days, ending in the last {policy.risk_recent_days} days.",
    ]


def how_health_panel(policy: Policy) -> dbc.Offcanvas:
    """The rules of health in a side panel, opened from the header and from every
    explanation; its text follows the page's window (a callback fills it)."""
    return dbc.Offcanvas(
        html.Ol(
            [html.Li(r) for r in how_health_rules(policy, 90)],
            id=ID.HOW_BODY,
            className="small ps-3",
        ),
        id=ID.HOW_PANEL,
        title="How health is determined",
        placement="end",
        is_open=False,
        scrollable=True,
        style={"width": "460px"},
    )


def layout(
    *,
    sellers: list[dict],
    categories: list[str],
    policy: Policy,
    data_version: int = 0,
    subcategories: list[str] | None = None,
    days: tuple[date, date] | None = None,
    who: Who = DEMO,
) -> html.Div:
    """The whole page. Values are filled from the URL by the state callback on load.
    ``sellers`` and ``categories`` are those ``who`` may see: the layout names no other."""
    days = days or (date.today(), date.today())
    return html.Div(
        [
            dcc.Location(id=ID.URL, refresh=False),
            dcc.Store(id=ID.SELECTED_OFFER),
            dcc.Store(id=ID.RESOLVE_MODE, data=False),
            dcc.Store(id=ID.GRID_SORT, data=""),
            dcc.Store(id=ID.GRID_FOCUS),
            dcc.Store(id=ID.GRID_FOCUSED),
            dcc.Store(id=ID.GRID_SORTED),
            dcc.Store(id=ID.GRID_QUERY),
            dcc.Store(id=ID.GRID_REFRESHED),
            dcc.Store(id=ID.CHART_SAVED),
            importing.dialog(data_version),
            header(sellers, categories, days, who),
            how_health_panel(policy),
            dbc.Container(
                [
                    dbc.Alert(id=ID.ERROR, color="danger", is_open=False, dismissable=True),
                    dbc.Alert(
                        id=ID.LINK_NOTE,
                        color="warning",
                        is_open=False,
                        dismissable=True,
                        className="small py-2",
                    ),  # fmt: skip
                    tiles(),
                    html.Div(id=ID.PEER_NOTES, className="peer-notes small mb-2"),
                    dbc.Row(
                        [
                            dbc.Col(
                                filters(
                                    categories, subcategories or [], policy.price_band_labels()
                                ),
                                lg=2,
                                md=3,
                            ),
                            dbc.Col(
                                [
                                    offers_card(show_seller=True),
                                    detail_card(),
                                    peers_card(),
                                    comments_card(),
                                ],
                                lg=10,
                                md=9,
                            ),
                        ],
                        className="g-2",
                    ),
                ],
                fluid=True,
            ),
        ]
    )


def badge_style(level: str) -> dict:
    return {"backgroundColor": BADGE_COLOURS[level], "color": HEALTH_TEXT[level]}


def peer_notes(notes: dict) -> list:
    """Where the viewer's peer rates come from, when it is not the marketplace, and how
    many offers still wait for a category (plain text)."""
    out = []
    bases = notes.get("bases", {})
    own, bench = bases.get("own_catalogue", 0), bases.get("benchmark", 0)
    if own:
        out.append(
            html.Div(
                "Similar offers come from your own catalogue: the store holds one seller's "
                "data, so each offer is compared with the seller's other offers.",
            )
        )
    if bench:
        out.append(
            html.Div(
                f"{bench:,} offer{'s are' if bench != 1 else ' is'} compared with peer rates "
                "from the benchmark file."
            )
        )
    n = notes.get("uncategorised", 0)
    if n:
        out.append(
            html.Div(
                f"{n:,} offer{'s have' if n != 1 else ' has'} no category yet (Uncategorised) "
                "and can be compared only with other uncategorised offers: import a catalogue "
                "(sku, category, subcategory, price) with Import reports.",
            )
        )
    return out

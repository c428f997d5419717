"""The report view: one self-contained HTML document laid out for A4 or Letter paper.

``report_html(service, viewer, as_of=..., window_days=...)`` returns a complete UTF-8
document: header (who, as-of day, window, peer basis, when it was made), the health tiles,
the worst offers and the actions taken with their verdicts on the first page, then one page
per worst offer (health in words, explanation, weekly trend, top themes, recent counted
comments, actions). Everything is inline: the CSS, plotly.js (from the installed plotly
package) and the figures' JSON, so the page works offline and no data leaves the machine
(a Content-Security-Policy forbids loading anything).

Every untrusted text (titles, SKUs, ASINs, comments, action notes, seller and category
names, URL parameters) goes through ``html.escape``; the figures come from
``layouts.figures`` (which escapes plotly's markup) and reach the page as JSON inside a
``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as ``\\u`` escapes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import plotly.io as pio
import polars as pl

from engine.app_state import ACTION_KINDS
from engine.demo import SELLER_NAMES
from engine.health import Viewer
from engine.service import GridQuery, VocService
from engine.themes import THEME_LABELS
from engine.verdicts import MIN_AFTER_ORDERS, MIN_AFTER_WEEKS
from layouts import figures
from layouts.theme import (
    HEALTH_COLOURS,
    RISK_COLOUR,
    STATUS_LABELS,
    TILE_LABELS,
    TILE_LEVELS,
)

CSS_FILE = Path(__file__).with_name("print.css")


@dataclass(frozen=True)
class Paper:
    name: str
    label: str
    css_size: str  # the @page size
    width_mm: float
    height_mm: float

    def pixels(self, dpi: int = 150) -> tuple[int, int]:
        """The sheet's size in pixels at ``dpi`` (the PNG snapshot's size)."""
        return round(self.width_mm / 25.4 * dpi), round(self.height_mm / 25.4 * dpi)


PAPERS: dict[str, Paper] = {
    "a4": Paper("a4", "A4", "A4", 210.0, 297.0),
    "letter": Paper("letter", "Letter", "letter", 215.9, 279.4),
}
MARGIN_MM = 14
WORST = 6
CHART_WIDTH = 680  # CSS px: fits the printable width of A4 (688 px) and Letter (710 px)
CHART_HEIGHT = 400  # whatever the page's figure asks: the page budget is fixed
COMMENTS_PER_OFFER = 3
COMMENT_CHARS = 200
THEMES_PER_OFFER = 5
ACTION_SCAN_LIMIT = 300  # offers (in grid order) whose recorded actions the first page lists
FIRST_PAGE_ACTIONS = 5  # the newest on the first page; earlier ones on the last page
ACTION_COLOUR = "#6f42c1"
# Offers that are left out of "worst" while any other offer is there: nothing to act on.
NOT_WORST_STATUSES = ("deleted",)
NOT_WORST_HEALTH = ("no_recent_sales",)
BASIS_WORDS = {
    "marketplace": "similar offers of all sellers in the store (same category, subcategory "
    "and price band; widened to the subcategory, the category or the whole store when a "
    "group is too small)",
    "own_catalogue": "the seller's own catalogue: the store holds one seller's data, so each "
    "offer is compared with the seller's other offers",
    "benchmark": "peer rates from the benchmark file",
}
BASIS_SHORT = {
    "marketplace": "marketplace",
    "own_catalogue": "own catalogue",
    "benchmark": "benchmark file",
}
LEVEL_WORDS = {
    "price_band": "same subcategory and price band",
    "subcategory": "same subcategory",
    "category": "same category",
    "all": "whole store",
}
SOURCE_WORDS = {
    "return": "Return",
    "refund": "Refund",
    "contact": "Customer contact",
    "review": "Review",
    "seller_feedback": "Seller feedback",
}
VERDICTS = {
    "improved": ("▼", "Improved"),
    "worse": ("▲", "Worse"),
    "no_clear_change": ("≈", "No clear change"),
    "not_enough_data": ("…", "Not enough data yet"),
}
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
)


def esc(value: object) -> str:
    """Untrusted text as HTML text or attribute value."""
    return html.escape("" if value is None else str(value), quote=True)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}\u00a0%"


def theme_word(theme: str | None) -> str:
    return "–" if not theme else THEME_LABELS.get(theme, theme.replace("_", " ").capitalize())


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # A literal "</script" inside the bundle would end the element early.
    return get_plotlyjs().replace("</script", "<\\/script")


@cache
def _css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


def figure_json(fig: dict) -> str:
    """A figure as JSON that is safe inside ``<script type="application/json">``."""
    text = pio.to_json(fig, validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- who is looking --------------------------------------------------------------------


def viewer_label(viewer: Viewer) -> str:
    """'Seller: Northwind Home (S-DEMO)' or 'Category manager: Home, Kitchen' (plain text)."""
    if viewer.kind == "seller":
        name = SELLER_NAMES.get(viewer.seller_id or "")
        sid = viewer.seller_id or ""
        return f"Seller: {name} ({sid})" if name else f"Seller: {sid}"
    if viewer.kind == "category_manager":
        cats = ", ".join(viewer.categories) if viewer.categories else "all categories"
        return f"Category manager: {cats}"
    return "Marketplace: all offers"


def peer_basis_words(notes: dict) -> list[str]:
    """Where the peer rates come from, one plain-text line per basis in use."""
    bases = notes.get("bases", {})
    if not bases:
        return ["no offer has a peer rate in this window"]
    total = sum(bases.values())
    lines = []
    for basis in ("marketplace", "own_catalogue", "benchmark"):
        n = bases.get(basis, 0)
        if not n:
            continue
        words = BASIS_WORDS[basis]
        lines.append(words if n == total else f"{words}: {n:,} offer{'s' if n != 1 else ''}")
    for basis, n in bases.items():  # a basis this version does not know by name
        if basis not in BASIS_WORDS:
            lines.append(f"{basis}: {n:,} offers")
    return lines


# --- what goes in ----------------------------------------------------------------------


def worst_offers(grid: pl.DataFrame, n: int = WORST) -> pl.DataFrame:
    """The first ``n`` offers of the grid's order (worst health first), leaving out deleted
    listings and offers without recent sales unless there is nothing else."""
    live = grid.filter(
        ~pl.col("status").is_in(NOT_WORST_STATUSES) & ~pl.col("health").is_in(NOT_WORST_HEALTH)
    )
    return (live if live.height else grid).head(n)


def verdict(effect: dict) -> str:
    """The action's verdict by DESIGN.md 4.5 (computed in engine/verdicts.py)."""
    return effect["verdict"]


@dataclass(frozen=True)
class OfferBlock:
    offer: dict
    trend: pl.DataFrame
    breakdown: pl.DataFrame
    actions: pl.DataFrame
    effects: list[dict]
    comments: pl.DataFrame
    figure: dict
    # who caused the NCX orders, when some are not the seller's (engine.traced.FixShare)
    caused: str | None = None


def _offer_block(service: VocService, viewer: Viewer, as_of: date, window: int, row: dict):
    detail = service.offer_detail(viewer, as_of, window, row["seller_id"], row["sku"])
    if detail is None:
        return None
    me = detail.offer
    start = me["e"] - timedelta(days=window - 1)
    comments = service.comments(
        viewer,
        as_of,
        window,
        pl.DataFrame({"seller_id": [me["seller_id"]], "sku": [me["sku"]]}),
        since=start,
        counted=True,
        with_comment=True,
        limit=COMMENTS_PER_OFFER,
    )
    return OfferBlock(
        offer=me,
        trend=detail.trend,
        breakdown=detail.breakdown,
        actions=detail.actions,
        effects=detail.actions.to_dicts(),
        comments=comments,
        caused=detail.fix.sentence(),
        figure=print_figure(
            figures.trend_figure(
                detail.trend,
                detail.actions,
                "Weekly NCX rate vs similar offers",
                figures.health_window(me, window),
                figures.offer_subtitle(me, window, SELLER_NAMES.get(me["seller_id"])),
            )
        ),
    )


def _recorded_actions(
    service: VocService, viewer: Viewer, as_of: date, window: int, grid: pl.DataFrame
) -> tuple[list[dict], int]:
    """Every recorded action (with its effect) of the viewer's first ACTION_SCAN_LIMIT
    offers in grid order, newest first; and how many offers were looked at."""
    scanned = grid.head(ACTION_SCAN_LIMIT)
    out: list[dict] = []
    for row in scanned.iter_rows(named=True):
        actions = service.actions(viewer, as_of, window, row["seller_id"], row["sku"])
        if actions.is_empty():
            continue
        for effect in actions.to_dicts():  # each with its verdict (engine/verdicts.py)
            out.append({**effect, "offer": row})
    out.sort(key=lambda e: (e["action_date"], e["offer"]["sku"]), reverse=True)
    return out, scanned.height


# --- the document ----------------------------------------------------------------------


def report_html(
    service: VocService,
    viewer: Viewer,
    *,
    as_of: date,
    window_days: int,
    worst: int = WORST,
    paper: str = "a4",
    notes: Sequence[str] = (),
    sheet: bool = False,
    made: datetime | None = None,
    links: dict[str, str] | None = None,
) -> str:
    """The report of ``viewer``'s offers as of ``as_of`` over ``window_days`` days.

    ``notes``: plain-text lines shown in a visible box (parameters that were ignored).
    ``sheet``: only the first page, sized as one sheet of paper (the PNG snapshot).
    ``made``: the time printed as "made" (default now, UTC). ``links``: screen-only links
    to other papers (label -> relative URL), shown beside the print button.
    """
    sheet_paper = PAPERS.get(paper, PAPERS["a4"])
    made = made or datetime.now(UTC)
    grid = service.grid(viewer, as_of, window_days, GridQuery())
    counts = service.tile_counts(viewer, as_of, window_days)
    peer_notes = service.peer_notes(viewer, as_of, window_days)
    chosen = worst_offers(grid, worst)
    actions, scanned = _recorded_actions(service, viewer, as_of, window_days, grid)
    rows = [] if sheet else list(chosen.iter_rows(named=True))  # the sheet: first page only
    blocks = [
        block
        for row in rows
        if (block := _offer_block(service, viewer, as_of, window_days, row)) is not None
    ]
    show_seller = viewer.kind != "seller"  # a category manager sees many sellers' offers
    label = viewer_label(viewer)
    start = as_of - timedelta(days=window_days - 1)

    parts = [
        _head(label, as_of, sheet_paper, sheet),
        "" if sheet else _toolbar(links or {}),
        '<main class="report">',
        '<section class="intro">',
        _header(label, as_of, start, window_days, peer_notes, made, service.data_version()),
        _ignored(notes),
        _peer_extra(peer_notes),
        _tiles(counts),
        _worst_table(chosen, grid.height, show_seller),
        _actions_table(actions, scanned, grid.height, service.policy.interval_percent, sheet),
        "</section>",
        *(_offer_section(i, b, window_days, show_seller) for i, b in enumerate(blocks, 1)),
        "" if sheet else _earlier_actions(actions),
        "</main>",
        _scripts(blocks),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _head(label: str, as_of: date, paper: Paper, sheet: bool) -> str:
    page_rule = f"@page {{ size: {paper.css_size}; margin: {MARGIN_MM}mm; }}"
    variables = f":root {{ --page-width: {paper.width_mm}mm; }}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en" class="{"sheet" if sheet else "document"} paper-{paper.name}">'
        "<head>"
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>CX health report · {esc(label)} · {as_of.isoformat()}</title>"
        f"<style>{page_rule}\n{variables}\n{_css()}</style>"
        "</head><body>"
    )


def _toolbar(links: dict[str, str]) -> str:
    others = " ".join(f'<a href="{esc(url)}">{esc(name)}</a>' for name, url in links.items())
    return (
        '<div class="toolbar no-print">'
        '<button type="button" onclick="window.print()">Print / Save as PDF</button>'
        f"{others}</div>"
    )


def _header(
    label: str,
    as_of: date,
    start: date,
    window: int,
    peer_notes: dict,
    made: datetime,
    version: int,
) -> str:
    basis = "; ".join(peer_basis_words(peer_notes))
    made_text = made.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<header class="report-head">'
        '<div class="kicker">Voice of the Customer · CX health report</div>'
        f'<h1 id="who">{esc(label)}</h1>'
        '<dl class="facts">'
        f'<dt>As of</dt><dd id="as-of">{as_of.isoformat()}</dd>'
        f'<dt>Made</dt><dd id="made">{made_text} (data version {version})</dd>'
        f'<dt>Window</dt><dd id="window" class="wide">{window} days: orders purchased '
        f"{start.isoformat()} to {as_of.isoformat()}</dd>"
        f'<dt>Peers</dt><dd id="peer-basis" class="wide">{esc(basis)}</dd>'
        "</dl></header>"
    )


def _ignored(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (
        '<div class="ignored" id="ignored" role="note"><strong>Some parameters were ignored:'
        f"</strong><ul>{items}</ul></div>"
    )


def _peer_extra(notes: dict) -> str:
    n = notes.get("uncategorised", 0)
    if not n:
        return ""
    return (
        f'<p class="peer-note">{n:,} offer{"s have" if n != 1 else " has"} no category yet '
        "(Uncategorised) and can be compared only with other uncategorised offers.</p>"
    )


def _tiles(counts: dict[str, int]) -> str:
    cells = []
    for level in (*TILE_LEVELS, "action_required", "at_risk"):
        colour = HEALTH_COLOURS.get(level, RISK_COLOUR if level == "at_risk" else ACTION_COLOUR)
        cells.append(
            f'<td data-level="{level}" style="--swatch: {colour}">'
            f'<div class="count">{counts.get(level, 0):,}</div>'
            f'<div class="label">{esc(TILE_LABELS[level])}</div></td>'
        )
    return (
        '<h2>Health of the offers</h2><table class="tiles" id="tiles" '
        'aria-label="Offers per health level"><tr>' + "".join(cells) + "</tr></table>"
    )


def shown(row: dict) -> str:
    """The level an offer is shown with: 'listing_deleted' for a deleted listing (the
    service's ``shown_health``), else its health."""
    return row.get("shown_health") or row["health"]


def _health(level: str, badge: bool = False) -> str:
    colour = HEALTH_COLOURS.get(level, "#757575")
    cls = "health badge" if badge else "health"
    return f'<span class="{cls}" style="--swatch: {colour}">{esc(TILE_LABELS.get(level, level))}</span>'


def _times_peers(me: dict) -> str:
    x = me.get("x_peers")
    return "" if x is None or me.get("peer_rate") is None else f"{x:.1f}× the peer rate"


def _worst_table(chosen: pl.DataFrame, total: int, show_seller: bool) -> str:
    if chosen.is_empty():
        return '<h2>Worst offers</h2><p class="none">No offers in this view.</p>'
    rows = []
    for i, r in enumerate(chosen.iter_rows(named=True), 1):
        share = r["top_ncx_reason_share"]
        reason = (
            f"{esc(theme_word(r['top_ncx_reason']))}"
            f"{f' ({pct(share, 0)})' if share is not None else ''}"
            if r["top_ncx_reason"]
            else "–"
        )
        rows.append(
            f'<tr data-sku="{esc(r["sku"])}"><td class="num">{i}</td>'
            f"<td>{_health(shown(r))}</td>"
            f'<td class="offer-cell"><div class="title">{esc(r["title"] or r["sku"])}</div>'
            f'<div class="muted small">SKU {esc(r["sku"])} · {esc(r["asin"])}'
            f"{' · seller ' + esc(r['seller_id']) if show_seller else ''}</div></td>"
            f'<td class="num">{pct(r["ncx_rate"])}</td>'
            f'<td class="num">{pct(r["peer_rate"])}</td>'
            f'<td class="num">{r["orders"]:,}</td>'
            f"<td>{reason}</td></tr>"
        )
    return (
        "<h2>Worst offers</h2>"
        f'<p class="muted small">{chosen.height} of {total:,} offers in the offers grid\'s '
        "order: worst health first, then the most evidence (the interval's low end furthest "
        "above the peer rate, then the most NCX orders above it); each has its own page.</p>"
        '<table class="list worst" id="worst"><colgroup><col class="c-rank">'
        '<col class="c-health"><col class="c-offer"><col class="c-rate"><col class="c-rate">'
        '<col class="c-orders"><col class="c-reason"></colgroup>'
        '<thead><tr><th class="num">#</th><th>Health</th>'
        '<th>Offer</th><th class="num">NCX rate</th><th class="num">Peer rate</th>'
        '<th class="num">Orders</th><th>Top NCX reason</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _side(effect: dict, side: str) -> str:
    n = effect[f"{side}_orders"]
    if not n:
        return '<span class="muted">no matured orders</span>'
    low, high = (f"{effect[f'{side}_{b}'] * 100:.1f}" for b in ("low", "high"))
    k = effect[f"{side}_ncx_orders"]
    return (
        f"{pct(effect[f'{side}_rate'])}"
        f'<div class="muted small nowrap">{k:,} of {n:,}</div>'
        f'<div class="muted small nowrap">{low}–{high}\u00a0%</div>'
    )


def _verdict(effect: dict) -> str:
    key = verdict(effect)
    symbol, word = VERDICTS[key]
    missing = effect.get("missing")
    why = f'<div class="muted small">{esc(missing)}</div>' if missing else ""
    return (
        f'<span class="verdict {key}"><span aria-hidden="true">{symbol}</span> {word}</span>' + why
    )


def _kind(effect: dict) -> str:
    return ACTION_KINDS.get(effect["action"], effect["action"])


def _note(effect: dict) -> str:
    note = effect.get("note")
    return f'<div class="muted small">{esc(note)}</div>' if note else ""


def _action_rows(actions: list[dict]) -> str:
    rows = []
    for e in actions:
        offer = e["offer"]
        rows.append(
            f'<tr data-sku="{esc(offer["sku"])}"><td class="nowrap">{e["action_date"]}</td>'
            f'<td class="offer-cell"><span class="muted">{esc(offer["sku"])}</span> · '
            f"{esc(offer['title'] or '')}</td>"
            f"<td>{esc(_kind(e))}{_note(e)}</td>"
            f"<td>{_side(e, 'before')}</td><td>{_side(e, 'after')}</td>"
            f"<td>{_verdict(e)}</td></tr>"
        )
    return (
        '<table class="list actions"><colgroup><col class="c-day">'
        '<col class="c-offer"><col class="c-action"><col class="c-side"><col class="c-side">'
        '<col class="c-verdict"></colgroup><thead><tr><th>Day</th><th>Offer</th>'
        "<th>Action</th><th>8 weeks before</th><th>After (matured)</th><th>Verdict</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _actions_table(
    actions: list[dict], scanned: int, total: int, interval: int, sheet: bool
) -> str:
    """The newest FIRST_PAGE_ACTIONS actions (the rest: ``_earlier_actions``)."""
    title = '<h2>Actions taken and their verdicts</h2><div id="actions">'
    if not actions:
        return title + '<p class="none">No action recorded for these offers yet.</p></div>'
    shown = actions[:FIRST_PAGE_ACTIONS]
    limited = (
        f" Actions of the first {scanned:,} of {total:,} offers in the grid's order."
        if scanned < total
        else ""
    )
    more = len(actions) - len(shown)
    if more:
        where = "in the PDF report" if sheet else "on the last page"
        limited += f" {more:,} earlier action{'s' if more != 1 else ''} {where}."
    return (
        title
        + _action_rows(shown)
        + '<p class="foot">NCX rate (NCX orders of orders) of the purchases in the 8 weeks '
        "before each action and of those after it whose returns have had time to arrive, "
        f"each with its {interval} % interval. Improved: the {interval} % interval of the "
        "difference (before minus after) lies wholly above zero; worse: wholly below; "
        f"otherwise no clear change. Not enough data yet: fewer than {MIN_AFTER_WEEKS} "
        f"matured weeks or {MIN_AFTER_ORDERS} orders after the action.{limited}</p></div>"
    )


def _earlier_actions(actions: list[dict]) -> str:
    rest = actions[FIRST_PAGE_ACTIONS:]
    if not rest:
        return ""
    return (
        '<section class="appendix" id="earlier-actions"><h2>Earlier actions and their '
        f"verdicts</h2>{_action_rows(rest)}</section>"
    )


def _themes(breakdown: pl.DataFrame) -> str:
    counted = (
        breakdown.filter(pl.col("counted"))
        .group_by("theme")
        .agg(events=pl.col("events").sum())
        .sort(["events", "theme"], descending=[True, False])
        if not breakdown.is_empty()
        else pl.DataFrame()
    )
    if counted.is_empty():
        return '<p class="none">No counted feedback in the window.</p>'
    total = int(counted["events"].sum())
    top = counted.head(THEMES_PER_OFFER)
    peak = int(top["events"].max())
    rows = "".join(
        f'<tr><td>{esc(theme_word(t))}</td><td class="num">{n:,}</td>'
        f'<td class="num">{pct(n / total, 0)}</td>'
        f'<td class="bar"><span style="width: {n / peak * 100:.0f}%"></span></td></tr>'
        for t, n in top.iter_rows()
    )
    return (
        '<table class="list themes"><thead><tr><th>Theme</th><th class="num">Events</th>'
        '<th class="num">Share of events</th><th></th></tr></thead><tbody>'
        + rows
        + "</tbody></table>"
    )


def _comments(comments: pl.DataFrame) -> str:
    if comments.is_empty():
        return '<p class="none">No counted feedback with a comment in the window.</p>'
    out = []
    for c in comments.iter_rows(named=True):
        text = " ".join(str(c["comment"] or "").split())
        if len(text) > COMMENT_CHARS:
            text = text[: COMMENT_CHARS - 1].rstrip() + "…"
        out.append(
            f'<p class="comment"><span class="muted">{esc(c["event_day"])} · '
            f"{esc(SOURCE_WORDS.get(c['source'], c['source']))} · "
            f"{esc(theme_word(c['theme']))}</span><br><q>{esc(text)}</q></p>"
        )
    return "".join(out)


def _offer_actions(effects: list[dict]) -> str:
    if not effects:
        return '<p class="none">No action recorded for this offer yet.</p>'
    rows = "".join(
        f'<tr><td class="nowrap">{e["action_date"]}</td><td>{esc(_kind(e))}{_note(e)}</td>'
        f"<td>{_side(e, 'before')}</td><td>{_side(e, 'after')}</td><td>{_verdict(e)}</td></tr>"
        for e in effects
    )
    return (
        '<table class="list"><thead><tr><th>Day</th><th>Action</th><th>8 weeks before</th>'
        "<th>After (matured)</th><th>Verdict</th></tr></thead><tbody>" + rows + "</tbody></table>"
    )


def _offer_section(i: int, b: OfferBlock, window: int, show_seller: bool) -> str:
    me = b.offer
    status = STATUS_LABELS.get(me["status"], me["status"])
    meta = " · ".join(
        esc(v)
        for v in (
            f"SKU {me['sku']}",
            f"ASIN {me['asin']}" if me.get("asin") else None,
            f"seller {me['seller_id']}" if show_seller else None,
            me.get("fulfilment"),
            status,
            " › ".join(x for x in (me.get("category"), me.get("subcategory")) if x),
            f"price band {me['price_band']}" if me.get("price_band") else None,
        )
        if v
    )
    peers = ""
    if me.get("peer_rate") is not None:
        level = LEVEL_WORDS.get(me.get("peer_level") or "", "")
        basis = BASIS_SHORT.get(me.get("peer_basis") or "", me.get("peer_basis") or "")
        offers = f"{me['peer_offers']:,} offers, " if me.get("peer_offers") is not None else ""
        peers = (
            f" · peer rate {pct(me['peer_rate'])} ({offers}{esc(level)}; {esc(basis)})"
            f"{' · ' + _times_peers(me) if _times_peers(me) else ''}"
        )
    rate = (
        f"NCX rate {pct(me['ncx_rate'])} ({me['ncx_orders']:,} of {me['orders']:,} orders)"
        if me.get("ncx_rate") is not None
        else f"no orders in the {window} days"
    )
    flags = []
    if me.get("action_required"):
        flags.append(
            (
                "alert",
                f"Action required: the offer was closed on {me['closed_at']} for a high NCX rate.",
            )
        )
    if me.get("commingled_orders"):
        flags.append(
            (
                "info",
                f"{me['commingled_orders']:,} of these orders were filled from commingled "
                "stock: those units may not have been sold by this seller.",
            )
        )
    if b.caused:
        flags.append(("info", f"{b.caused}."))
    share = me.get("top_ncx_reason_share")
    top = (
        f"<p><strong>Top NCX reason:</strong> {esc(theme_word(me['top_ncx_reason']))}"
        f"{f', {pct(share, 0)} of the NCX orders' if share is not None else ''}.</p>"
        if me.get("top_ncx_reason")
        else '<p class="none">No NCX orders in the window.</p>'
    )
    return (
        f'<section class="offer" id="offer-{i}" data-sku="{esc(me["sku"])}">'
        f'<h2><span class="rank">{i}.</span>{esc(me["title"] or me["sku"])}</h2>'
        f'<div class="meta">{meta}</div>'
        f'<div class="figures-line">{_health(shown(me), badge=True)} {rate}{peers}</div>'
        f'<p class="explanation">{esc(me["explanation"])}</p>'
        + "".join(f'<p class="flag {kind}">{esc(text)}</p>' for kind, text in flags)
        + f'<div class="chart" id="chart-{i}" role="img" '
        f'style="height: {b.figure["layout"]["height"]}px" '
        f'aria-label="Weekly NCX rate of {esc(me["sku"])} against similar offers"></div>'
        '<div class="columns"><div><h3>Top themes of the counted feedback</h3>'
        f"{top}{_themes(b.breakdown)}</div>"
        f"<div><h3>Recent customer comments (counted)</h3>{_comments(b.comments)}</div></div>"
        f"<h3>Actions on this offer</h3>{_offer_actions(b.effects)}"
        "</section>"
    )


def print_figure(fig: dict) -> dict:
    """A page figure at the fixed print size (fits the printable width and the page)."""
    layout = fig.setdefault("layout", {})
    layout.update(width=CHART_WIDTH, height=CHART_HEIGHT, autosize=False)
    return fig


def _scripts(blocks: list[OfferBlock]) -> str:
    if not blocks:
        return '<script>document.documentElement.dataset.ready = "1";</script>'
    data = "".join(
        f'<script type="application/json" class="figure" data-target="chart-{i}">'
        f"{figure_json(b.figure)}</script>"
        for i, b in enumerate(blocks, 1)
    )
    draw = """<script>
(function () {
  var config = {staticPlot: true, displayModeBar: false, responsive: false};
  var done = [];
  document.querySelectorAll('script.figure').forEach(function (s) {
    var fig = JSON.parse(s.textContent);
    var el = document.getElementById(s.dataset.target);
    done.push(Plotly.newPlot(el, fig.data, fig.layout, config));
  });
  Promise.all(done).then(function () { document.documentElement.dataset.ready = "1"; });
})();
</script>"""
    return f"<script>{_plotly_js()}</script>{data}{draw}"

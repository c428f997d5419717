"""Seller actions in the offer detail: the "Record an action" form and the actions table.

Every text here that came from a person (notes) is a plain string child: Dash renders it
as text, never as HTML.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import polars as pl
from dash import dcc, html

from engine.app_state import ACTION_KINDS, NOTE_MAX_CHARS
from engine.verdicts import VERDICT_LABELS
from layouts.ids import ID

VERDICT_CLASSES = {
    "improved": "text-success",
    "worse": "text-danger",
    "no_clear_change": "text-secondary",
    "not_enough_data": "text-muted",
}


def action_form() -> html.Div:
    """Kind, day (set to the as-of day by a callback), note and Save, with feedback."""
    return html.Div(
        [
            html.Div("Record an action", className="fw-semibold small mb-1"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Label(
                                "What was done",
                                htmlFor=ID.ACTION_KIND,
                                className="visually-hidden",
                            ),
                            dbc.Select(
                                id=ID.ACTION_KIND,
                                options=[{"label": v, "value": k} for k, v in ACTION_KINDS.items()],
                                value="edited_detail_page",
                                size="sm",
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        # a native date picker: its value is YYYY-MM-DD, set to the as-of day
                        [
                            html.Label(
                                "Day of the action",
                                htmlFor=ID.ACTION_DATE,
                                className="visually-hidden",
                            ),
                            dbc.Input(id=ID.ACTION_DATE, type="date", size="sm"),
                        ],
                        width="auto",
                    ),
                    dbc.Col(
                        [
                            html.Label("Note", htmlFor=ID.ACTION_NOTE, className="visually-hidden"),
                            dbc.Input(
                                id=ID.ACTION_NOTE,
                                placeholder="What did you change? (optional)",
                                maxLength=NOTE_MAX_CHARS,
                                type="text",
                                size="sm",
                            ),
                        ],
                    ),
                    dbc.Col(
                        dbc.Button("Save", id=ID.ACTION_SAVE, color="primary", size="sm"),
                        width="auto",
                    ),
                ],
                className="g-2 align-items-center",
            ),
            html.Div(id=ID.ACTION_FEEDBACK, className="small mt-1", role="status"),
            dcc.Store(id=ID.ACTION_SAVED, data=0),
        ],
        className="action-form border rounded p-2 mb-2",
    )


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f} %"


def _side(row: dict, side: str) -> str:
    n = row[f"{side}_orders"]
    if not n:
        return "no matured orders"
    k = row[f"{side}_ncx_orders"]
    return (
        f"{k:,} of {n:,} · {_pct(row[f'{side}_rate'])} "
        f"[{_pct(row[f'{side}_low'])}–{_pct(row[f'{side}_high'])}]"
    )


def actions_table(actions: pl.DataFrame, interval_percent: int) -> list:
    """The offer's actions with before/after rates, intervals and verdicts (empty: a line)."""
    if actions.is_empty():
        return [html.Div("No action recorded for this offer yet.", className="text-muted")]
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in (
                    "Day",
                    "Action",
                    "Note",
                    "8 weeks before",
                    "After (matured weeks)",
                    "Verdict",
                )
            ]
        )
    )
    body = []
    for r in actions.iter_rows(named=True):
        verdict = [html.Span(VERDICT_LABELS.get(r["verdict"], r["verdict"]))]
        if r["missing"]:
            verdict.append(html.Div(r["missing"], className="text-muted"))
        body.append(
            html.Tr(
                [
                    html.Td(r["action_date"].isoformat(), className="text-nowrap"),
                    html.Td(ACTION_KINDS.get(r["action"], r["action"])),
                    html.Td(r["note"] or ""),
                    html.Td(_side(r, "before")),
                    html.Td(_side(r, "after")),
                    html.Td(verdict, className=VERDICT_CLASSES.get(r["verdict"], "")),
                ],
                className="action-row",
                **{"data-verdict": r["verdict"]},
            )
        )
    return [
        dbc.Table([head, html.Tbody(body)], size="sm", className="actions-table mb-1"),
        html.Div(
            f"NCX orders of orders purchased in the 8 weeks before each action and after it "
            f"(weeks whose returns are still arriving left out), {interval_percent} % "
            "intervals; the verdict compares the two by the interval of their difference.",
            className="text-muted",
        ),
    ]

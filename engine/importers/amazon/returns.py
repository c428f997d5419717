"""Customer returns -> feedback events of source ``return``.

- **FBA customer returns** (``GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA``): one row per
  returned *unit*; rows of one order, SKU, day, reason and comment are one event (the
  units' license plates differ). ``reason`` is the reason code, ``customer-comments`` the
  comment, ``fulfillment-center-id`` the fulfilment centre. Some marketplaces name the
  order column ``amazon-order-id``.
- **Merchant-fulfilled returns** (``GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE``): title-case
  headers with spaces; ``Return Reason`` carries a ``CR-`` prefix (stripped) or an
  ``AMZ-PG-`` code; dates may carry a zone abbreviation; no comment column.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.importers.amazon.common import (
    SELLER,
    event_id,
    feedback_part,
    has_headers,
    pick,
    stage_report,
    text_field,
    timestamp_field,
)
from engine.importers.canonical import reason_sql
from engine.importers.merge import Part
from engine.importers.staging import Field

FBA_KIND, FBA_LABEL = "fba_returns", "FBA customer returns report"
FBA_NEEDS = "return-date, order-id (or amazon-order-id), sku, reason"
MFN_KIND, MFN_LABEL = "mfn_returns", "merchant-fulfilled returns report"
MFN_NEEDS = "Order ID, Return request date, Merchant SKU, Return Reason"

FBA_WANTED = {
    "event_date": ("return-date",),
    "order_id": ("order-id", "amazon-order-id"),
    "sku": ("sku",),
    "reason": ("reason",),
    "comment": ("customer-comments",),
    "fc": ("fulfillment-center-id", "fulfilment-center-id"),
}
MFN_WANTED = {
    "order_id": ("Order ID",),
    "event_date": ("Return request date",),
    "sku": ("Merchant SKU",),
    "reason": ("Return Reason",),
}


FBA_REQUIRED = (("return-date",), ("order-id", "amazon-order-id"), ("sku",), ("reason",))
MFN_REQUIRED = (("order-id",), ("return-request-date",), ("merchant-sku",), ("return-reason",))


def fba_matches(normal: set[str]) -> bool:
    return has_headers(normal, FBA_REQUIRED)


def mfn_matches(normal: set[str]) -> bool:
    return has_headers(normal, MFN_REQUIRED)


def _fields(
    names: list[str], file: str, wanted: dict, label: str, *, comments: bool
) -> list[Field]:
    cols = pick(names, wanted, ("event_date", "order_id", "sku", "reason"), file, label)
    fields = [
        timestamp_field(
            "event_date", cols.col("event_date"), cols.label("event_date", ""), required=True
        ),
        text_field("order_id", cols.col("order_id"), cols.label("order_id", ""), required=True),
        text_field("sku", cols.col("sku"), cols.label("sku", ""), required=True),
        Field(
            "reason_code",
            "VARCHAR",
            cols.col("reason"),
            cols.label("reason", ""),
            convert=reason_sql("{t}"),
        ),
    ]
    if comments:
        fields += [
            # the comment exactly as written (only blank-only comments become NULL)
            Field(
                "comment",
                "VARCHAR",
                cols.col("comment"),
                cols.label("comment", "customer-comments"),
            ),
            text_field(
                "fulfilment_center", cols.col("fc"), cols.label("fc", "fulfillment-center-id")
            ),
        ]
    return fields


def _stage(con, path, *, seller, encoding, max_problems, kind, wanted, label, prefix) -> list[Part]:
    fba = kind == FBA_KIND
    staged = stage_report(
        con,
        path,
        lambda names: _fields(names, path.name, wanted, label, comments=fba),
        prefix=prefix,
        seller=seller,
        encoding=encoding,
        max_problems=max_problems,
    )
    staged.table = kind
    comment = "comment" if fba else "NULL"
    part = feedback_part(
        con,
        staged,
        {
            "feedback_id": event_id(
                "ret" if fba else "mret", "order_id", "sku", "event_date", "reason_code", comment
            ),
            "seller_id": SELLER,
            "sku": "sku",
            "order_id": "order_id",
            "event_date": "event_date",
            "source": "'return'",
            "reason_code": "reason_code",
            "comment": comment,
            "fulfilment_center": "fulfilment_center" if fba else "NULL",
        },
    )
    return [part]


def _stager(kind: str, wanted: dict, label: str, prefix: str):
    def stage(
        con: duckdb.DuckDBPyConnection,
        path: Path,
        *,
        seller: str,
        encoding: str | None = None,
        max_problems: int = 20,
    ) -> tuple[list[Part], list[str]]:
        parts = _stage(
            con, path, seller=seller, encoding=encoding, max_problems=max_problems,
            kind=kind, wanted=wanted, label=label, prefix=prefix,
        )  # fmt: skip
        return parts, []

    stage.__doc__ = f"Stage a {label}: one feedback part (one event per return)."
    return stage


stage_fba = _stager(FBA_KIND, FBA_WANTED, FBA_LABEL, "stage_fba_returns")
stage_mfn = _stager(MFN_KIND, MFN_WANTED, MFN_LABEL, "stage_mfn_returns")

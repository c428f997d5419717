"""A seller's own files that place offers among their peers: a catalogue and a benchmark.

- **Catalogue** (``sku`` plus any of ``category, subcategory, price, brand, title, asin,
  fulfilment`` and the listing's lifecycle ``created_at, closed_at, closed_reason,
  reinstated_at, deleted_at``; ``seller_id`` optional, else ``--seller``): sets those
  columns of the offer (an empty cell leaves the stored value), or adds the offer. Offers that came from an orders report without one sit in
  ``Uncategorised`` and are compared only with each other.
- **Benchmark** (``category, subcategory, price_band, peer_rate, peer_offers``): peer
  rates from outside the store (e.g. a marketplace's published category rates). Where an
  offer's group has a row (the most specific that matches: the price band, then the
  subcategory, then the category; empty cells mean "any"), its rate replaces the one
  computed from the store and the peer basis is ``benchmark``. ``peer_rate`` is a fraction
  (0.019) or a percentage (1.9 %).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.importers import staging
from engine.importers.amazon.common import AMAZON_TS_EXPECTED, amazon_timestamp, pick
from engine.importers.canonical import FULFILMENT_ALIASES, SELLER_VARIABLE
from engine.importers.merge import Part
from engine.importers.staging import Field, case_map, future_check
from engine.policy import DEFAULT_POLICY

CATALOGUE_KIND, CATALOGUE_LABEL = "catalogue", "catalogue"
CATALOGUE_NEEDS = "sku and category (optional: subcategory, price, brand, title, asin, seller_id)"
BENCHMARK_KIND, BENCHMARK_LABEL = "benchmark", "benchmark file"
BENCHMARK_NEEDS = "category, peer_rate (optional: subcategory, price_band, peer_offers)"

CATALOGUE_WANTED = {
    "sku": ("sku", "seller-sku", "merchant-sku"),
    "seller_id": ("seller_id",),
    "category": ("category",),
    "subcategory": ("subcategory", "sub-category", "product-type"),
    "price": ("price", "your-price"),
    "brand": ("brand", "brand-name"),
    "title": ("title", "product-name", "item-name"),
    "asin": ("asin", "asin1"),
    "fulfilment": ("fulfilment", "fulfillment", "fulfillment-channel"),
    "created_at": ("created_at", "open-date", "created"),
    "closed_at": ("closed_at",),
    "closed_reason": ("closed_reason",),
    "reinstated_at": ("reinstated_at",),
    "deleted_at": ("deleted_at",),
}
LIFECYCLE = ("created_at", "closed_at", "reinstated_at", "deleted_at")
BENCHMARK_WANTED = {
    "category": ("category",),
    "subcategory": ("subcategory", "sub-category"),
    "price_band": ("price_band", "price band"),
    "peer_rate": ("peer_rate", "peer rate", "ncx_rate"),
    "peer_offers": ("peer_offers", "peer offers", "offers"),
}


def catalogue_matches(normal: set[str]) -> bool:
    return "sku" in normal and "category" in normal and "order-id" not in normal


def benchmark_matches(normal: set[str]) -> bool:
    return {"category", "peer-rate"} <= normal


def _text(name: str, cols, default: str) -> Field:
    return Field(name, "VARCHAR", cols.col(name), cols.label(name, default))


def stage_catalogue(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> tuple[list[Part], list[str]]:
    """Stage a catalogue CSV/TSV: one catalogue part."""

    def fields(names: list[str], _types: list[str]) -> list[Field]:
        cols = pick(names, CATALOGUE_WANTED, ("sku",), path.name, CATALOGUE_LABEL)
        return [
            Field(
                "seller_id", "VARCHAR", cols.col("seller_id"), cols.label("seller_id", "seller_id"),
                default=f"getvariable('{SELLER_VARIABLE}')",
            ),
            Field("sku", "VARCHAR", cols.col("sku"), cols.label("sku", "sku"), required=True),
            *(_text(n, cols, n) for n in ("category", "subcategory", "brand", "title", "asin")),
            Field(
                "price", "DECIMAL(12, 2)", cols.col("price"), cols.label("price", "price"),
                ok="{v} >= 0", noun="a price", expected="a number >= 0 such as 19.99",
            ),
            Field(
                "fulfilment", "VARCHAR", cols.col("fulfilment"), cols.label("fulfilment", "fulfilment"),
                convert=case_map("upper({t})", FULFILMENT_ALIASES),
                noun="a fulfilment channel", expected="FBA or MFN (AFN, Amazon and Merchant are accepted)",
            ),
            Field(
                "closed_reason", "VARCHAR", cols.col("closed_reason"), cols.label("closed_reason", "closed_reason"),
                convert=case_map("lower({t})", {"ncx": "ncx", "other": "other"}),
                noun="a closure reason", expected="ncx, other or empty",
            ),
            *(
                Field(
                    n, "DATE", cols.col(n), cols.label(n, n), convert=amazon_timestamp("{t}"),
                    noun="a date", expected=AMAZON_TS_EXPECTED, checks=(future_check(),),
                )
                for n in LIFECYCLE
            ),
        ]  # fmt: skip

    con.execute(f"SET VARIABLE {SELLER_VARIABLE} = ?", [seller])
    staged = staging.stage_text(
        con, path, fields, prefix="stage_catalogue", encoding=encoding, max_problems=max_problems
    )
    staged.table = CATALOGUE_KIND
    staged.repeats = staging.collapse_duplicates(
        con, staged, ("seller_id", "sku"), max_problems=max_problems
    )
    return [Part("catalogue", staged.stage, staged)], []


def stage_benchmark(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> tuple[list[Part], list[str]]:
    """Stage a benchmark CSV/TSV: one benchmark part."""
    del seller  # a benchmark is about peers, not about one seller's offers
    bands = DEFAULT_POLICY.price_band_labels() + ["unknown"]

    def fields(names: list[str], _types: list[str]) -> list[Field]:
        cols = pick(names, BENCHMARK_WANTED, ("category", "peer_rate"), path.name, BENCHMARK_LABEL)
        rate = (
            "CASE WHEN {t} LIKE '%\\%' ESCAPE '\\' THEN try_cast(trim(rtrim({t}, '%')) AS DOUBLE) / 100 "
            "ELSE try_cast({t} AS DOUBLE) END"
        )
        return [
            Field("category", "VARCHAR", cols.col("category"), cols.label("category", ""), required=True),
            _text("subcategory", cols, "subcategory"),
            Field(
                "price_band", "VARCHAR", cols.col("price_band"), cols.label("price_band", "price_band"),
                convert=case_map("replace({t}, ' ', '')", {b: b for b in bands}),
                noun="a price band", expected="one of " + ", ".join(bands) + ", or empty for any",
            ),
            Field(
                "peer_rate", "DOUBLE", cols.col("peer_rate"), cols.label("peer_rate", ""), required=True,
                convert=rate, ok="{v} BETWEEN 0 AND 1",
                noun="a rate", expected="a fraction from 0 to 1 such as 0.019, or a percentage such as 1.9 %",
            ),
            Field(
                "peer_offers", "INTEGER", cols.col("peer_offers"), cols.label("peer_offers", "peer_offers"),
                ok="{v} >= 0", noun="a number of offers", expected="a whole number such as 143",
            ),
        ]  # fmt: skip

    staged = staging.stage_text(
        con, path, fields, prefix="stage_benchmark", encoding=encoding, max_problems=max_problems
    )
    staged.table = BENCHMARK_KIND
    con.execute(
        f"UPDATE {staging.quote_ident(staged.stage)} SET subcategory = NULL WHERE subcategory = '*'"
    )
    staged.repeats = staging.collapse_duplicates(
        con, staged, ("category", "subcategory", "price_band"), max_problems=max_problems
    )
    return [Part("benchmark", staged.stage, staged)], []

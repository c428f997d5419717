"""Import benchmark: an Amazon All Orders report into an empty store, one day of new data
into a big store, and the pandas script a user would write instead.

    python bench/imports.py [--lines 5m] [--store-size 10m] [--runs 3] [--quick]
                            [--skip all_orders,one_day,pandas] [--out FILE] [--json FILE]
    python bench/imports.py --prepare [--lines 5m] [--store-size 10m]   # only the data

Prints a markdown table (with the load average and the CPU seconds of every run, as
bench/engine.py does). Every measurement runs in a fresh Python process (this file with
``--worker``); Python imports are done before the clock starts.

1. **All Orders report into an empty store**: ``pipeline.import_into_store(root,
   [InputFile(file)], seller="BENCH")`` (the type recognised from the header) into a new
   store folder. Lines per second of the whole import (wall clock: staging, merge,
   refresh, commit, checkpoint and publish) and of the import step alone
   (``ImportSummary.seconds_import``: staging + merge). Target: >= 500,000 lines/s.
2. **One day into the big store**: a store folder built once from the canonical Parquet
   files of ``--store-size`` (bench/datagen.py ``<size>-store``), copied to a temporary
   folder before each run (not timed), then ``import_into_store`` of that day's
   ``orders.csv`` and ``feedback.csv``: wall, CPU and the parts (copy of the live
   generation, staging + merge, refresh, commit, publish). Target: <= 5 s. Then the same
   two files again, in the same worker: nothing changes, the generation must stay.
3. **The peer a user would use instead**: a plain pandas script doing the same import
   work on the same All Orders file (read the TSV, timestamps to UTC, lower-case
   statuses, merge the lines of one order and SKU, derive per-SKU offers), in memory, and
   its time relative to the project's import.

Data (generated once under bench/data/, deterministic, cached with a manifest; delete a
folder to rebuild it):

- ``amazon-orders-<lines>/All-Orders-Report.txt``: the first ``--lines`` order lines of
  bench/data/10m/orders.parquet (datagen ``ensure_files("10m")``) with their offers from
  offers.parquet, written as Seller Central writes an All Orders report (see
  ``write_all_orders``). An All Orders report is one seller's, so every line is imported
  under one seller id (``--seller``-style ``BENCH``); the marketplace's SKUs stay distinct
  by prefixing each SKU with its original seller id.
- ``<size>-day/{orders,feedback}.csv``: the order lines purchased on the last day of the
  ``<size>`` data and the feedback dated on that day, moved one day later, with new order
  and feedback ids (suffix ``-D1``; feedback on one of that day's orders points at its new
  id, feedback on older orders at the stored order), as canonical CSV files.

``--quick``: 200k lines, the ``1m`` store, one run of each.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # before bench/, so `engine` is the package

import common  # noqa: E402  (bench/common.py)
import datagen  # noqa: E402  (bench/datagen.py)
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

DATA_DIR = datagen.DATA_DIR
SOURCE = "10m"  # the canonical files the All Orders report is cut from
SELLER = "BENCH"
DAY_SUFFIX = "-D1"
TARGET_RATE = 500_000  # lines per second
TARGET_DAY_S = 5.0
BUDGET_S = 240.0  # stop repeating a measurement once its runs took this long
TIMEOUT_S = 1800.0  # a worker running longer than this is killed (and reported FAILED)
ALL_ORDERS_FILE = "All-Orders-Report.txt"
ALL_ORDERS_VERSION = 1  # bump when write_all_orders changes: cached files are rebuilt
DAY_VERSION = 1
CHUNK = 500_000  # lines formatted and written at a time
SEED = 9701
SPLIT_EVERY = 97  # every 97th shipped line also gets a cancelled unit row

# Amazon's column order (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL).
ALL_ORDERS_HEADER: tuple[str, ...] = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date",
    "order-status", "fulfillment-channel", "sales-channel", "order-channel", "url",
    "ship-service-level", "product-name", "sku", "asin", "item-status", "quantity",
    "currency", "item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price",
    "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
    "purchase-order-number", "price-designation",
)  # fmt: skip
# Ship-to places (as engine/demo_reports.py): city, province, postal prefix, tax rate.
PLACES: tuple[tuple[str, str, str, float], ...] = (
    ("Toronto", "ON", "M5V", 0.13), ("Ottawa", "ON", "K1P", 0.13),
    ("Mississauga", "ON", "L5B", 0.13), ("Montréal", "QC", "H2X", 0.14975),
    ("Vancouver", "BC", "V6B", 0.12), ("Calgary", "AB", "T2P", 0.05),
    ("Halifax", "NS", "B3H", 0.15), ("Winnipeg", "MB", "R3C", 0.12),
)  # fmt: skip
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"


def _say(msg: str) -> None:
    print(f"[imports] {msg}", file=sys.stderr, flush=True)


def count_label(n: int) -> str:
    """200000 -> "200k", 5000000 -> "5m"."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# --- data: the All Orders report ---------------------------------------------------------


def _money(x: pl.Expr) -> pl.Expr:
    """An amount with exactly two decimals ("-12.50"); null stays null."""
    cents = (x * 100).round(0).cast(pl.Int64)
    whole, frac = (cents.abs() // 100).cast(pl.String), (cents.abs() % 100).cast(pl.String)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, whole, pl.lit("."), frac.str.zfill(2)])


def _iso_pacific(ts: pl.Expr) -> pl.Expr:
    """A naive UTC instant as ISO 8601 in US Pacific time with its offset
    (``2026-10-30T15:15:03-07:00``), as the All Orders report writes dates."""
    local = ts.dt.replace_time_zone("UTC").dt.convert_time_zone("America/Los_Angeles")
    return local.dt.strftime("%Y-%m-%dT%H:%M:%S%:z")


def _pick(values: list, index: pl.Expr, dtype) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype)).gather(index)


def _all_orders_lines(lines: int, source: str) -> pl.DataFrame:
    """The first ``lines`` order lines of ``source`` with their offers' facts, in purchase
    order, and the per-line draws (seeded) the formatting needs."""
    files = datagen.files_of(source, "parquet")
    orders = pl.read_parquet(files["orders"], n_rows=lines)
    offers = pl.read_parquet(
        files["offers"], columns=["seller_id", "sku", "asin", "title", "price", "fulfilment"]
    )
    df = orders.join(offers, on=["seller_id", "sku"], how="left", validate="m:1")
    if df["price"].null_count():
        raise ValueError(f"{source}: {df['price'].null_count()} order lines without an offer")
    df = df.with_columns(sku=pl.concat_str([pl.col("seller_id"), pl.lit("-"), pl.col("sku")]))
    df = df.sort("purchase_date", "order_id", "sku")
    n = df.height
    rng = np.random.default_rng([SEED, lines])
    status = pl.col("status")
    age_us = pl.Series(rng.uniform(20, 70, n) * 3.6e9).cast(pl.Int64)  # 20-70 hours
    return df.with_columns(
        _line=pl.int_range(pl.len(), dtype=pl.Int64),
        _place=pl.Series(rng.integers(0, len(PLACES), n), dtype=pl.UInt32),
        _d1=pl.Series(rng.integers(0, 10, n), dtype=pl.UInt32),
        _letter=pl.Series(rng.integers(0, len(POSTAL_LETTERS), n), dtype=pl.UInt32),
        _d2=pl.Series(rng.integers(0, 10, n), dtype=pl.UInt32),
        # shipped 20-70 h after the purchase, cancelled 2-7 h, pending 4-14 minutes
        _age=pl.when(status == "shipped")
        .then(age_us)
        .otherwise(age_us // pl.when(status == "cancelled").then(10).otherwise(300)),
        _hide=pl.Series(rng.random(n) < 0.5) & (status == "cancelled"),  # no price shown
        _expedited=pl.Series(rng.random(n) < 0.08),
        _shipped_no=pl.when(status == "shipped").then(pl.cum_count("order_id").over(status) - 1),
        _order_status=pl.when((status == "cancelled").all().over("order_id"))
        .then(pl.lit("Cancelled"))
        .when((status == "pending").any().over("order_id"))
        .then(pl.lit("Pending"))
        .otherwise(pl.lit("Shipped")),
    )


def _format(chunk: pl.DataFrame, as_of) -> pl.DataFrame:
    """Report rows of ``chunk`` (Amazon's columns, all text), with a ``Cancelled`` unit row
    after every ``SPLIT_EVERY``-th shipped line."""
    status = pl.col("status")
    updated = (pl.col("purchase_date") + pl.duration(microseconds=pl.col("_age"))).clip(
        upper_bound=pl.max_horizontal(pl.lit(as_of), pl.col("purchase_date"))
    )
    total = pl.col("price") * pl.col("quantity")
    rate = _pick([p[3] for p in PLACES], pl.col("_place"), pl.Float64)
    shipping = (
        pl.when((pl.col("fulfilment") == "MFN") & ~pl.col("_expedited"))
        .then(pl.lit(4.99))
        .otherwise(pl.lit(0.0))
    )
    postal = pl.concat_str(
        [
            _pick([p[2] for p in PLACES], pl.col("_place"), pl.String),
            pl.lit(" "),
            pl.col("_d1").cast(pl.String),
            _pick(list(POSTAL_LETTERS), pl.col("_letter"), pl.String),
            pl.col("_d2").cast(pl.String),
        ]
    )
    text = {
        "amazon-order-id": pl.col("order_id"),
        "purchase-date": _iso_pacific(pl.col("purchase_date")),
        "last-updated-date": _iso_pacific(updated),
        "order-status": pl.col("_order_status"),
        "fulfillment-channel": pl.when(pl.col("fulfilment") == "FBA")
        .then(pl.lit("Amazon"))
        .otherwise(pl.lit("Merchant")),
        "sales-channel": pl.lit("Amazon.ca"),
        "ship-service-level": pl.when(pl.col("_expedited"))
        .then(pl.lit("Expedited"))
        .otherwise(pl.lit("Standard")),
        "product-name": pl.col("title").str.replace_all(r"[\t\r\n]", " "),
        "sku": pl.col("sku"),
        "asin": pl.col("asin"),
        "item-status": status.replace_strict(
            {"shipped": "Shipped", "pending": "Pending", "cancelled": "Cancelled"},
            return_dtype=pl.String,
        ),
        "quantity": pl.col("quantity").cast(pl.String),
        "currency": pl.lit("CAD"),
        "item-price": pl.when(~pl.col("_hide")).then(_money(total)),  # the line total
        "item-tax": pl.when(~pl.col("_hide")).then(_money(total * rate)),
        "shipping-price": _money(shipping),
        "shipping-tax": _money(shipping * rate),
        "item-promotion-discount": pl.lit("0.00"),
        "ship-promotion-discount": pl.lit("0.00"),
        "ship-city": _pick([p[0] for p in PLACES], pl.col("_place"), pl.String),
        "ship-state": _pick([p[1] for p in PLACES], pl.col("_place"), pl.String),
        "ship-postal-code": postal,
        "ship-country": pl.lit("CA"),
        "is-business-order": pl.lit("false"),
    }
    rows = chunk.select(
        "_line",
        "_shipped_no",
        *[
            (text[c] if c in text else pl.lit(None)).cast(pl.String).alias(c)
            for c in ALL_ORDERS_HEADER
        ],
    )
    is_split = pl.col("_shipped_no") % SPLIT_EVERY == SPLIT_EVERY // 2
    split = rows.filter(is_split).with_columns(
        pl.lit("Cancelled").alias("item-status"),
        pl.lit("1").alias("quantity"),
        pl.lit(None, dtype=pl.String).alias("item-price"),
        pl.lit(None, dtype=pl.String).alias("item-tax"),
    )
    return (
        pl.concat([rows.with_columns(_k=pl.lit(0)), split.with_columns(_k=pl.lit(1))])
        .sort("_line", "_k")
        .select(ALL_ORDERS_HEADER)
    )


def write_all_orders(path: Path, lines: int, source: str = SOURCE) -> dict:
    """Write an All Orders report of the first ``lines`` order lines of ``source``.

    As Seller Central writes it (and engine/demo_reports.py): tab-separated, CRLF line
    ends, UTF-8 with a BOM, no quoting (tabs and line breaks in titles become spaces);
    one row per order line in purchase order; purchase-date and last-updated-date in ISO
    8601 in US Pacific time with the offset; order-status Cancelled (every line is),
    Pending (a line is) or Shipped; item-status Shipped / Cancelled / Pending;
    fulfillment-channel Amazon (FBA) or Merchant (MFN); item-price the line total (empty
    for half the cancelled lines), taxes by the ship-to province; every 97th shipped line
    followed by a ``Cancelled`` row for one more unit of it (no price), the split line
    Amazon writes when a unit of a shipped order is cancelled. Same inputs, same bytes.
    """
    started = time.perf_counter()
    _say(f"{path.parent.name}: reading {lines:,} order lines of {source}")
    base = _all_orders_lines(lines, source)
    as_of = base["purchase_date"].max()
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with open(tmp, "wb") as fh:
        fh.write(codecs.BOM_UTF8 + ("\t".join(ALL_ORDERS_HEADER) + "\r\n").encode("utf-8"))
        for start in range(0, base.height, CHUNK):
            out = _format(base.slice(start, CHUNK), as_of)
            out.write_csv(
                fh,
                separator="\t",
                line_terminator="\r\n",
                quote_style="never",
                include_header=False,
                null_value="",
            )
            rows += out.height
            _say(f"{path.parent.name}: {start + min(CHUNK, base.height - start):,} lines written")
    tmp.replace(path)
    shipped = int((base["status"] == "shipped").sum())
    return {
        "lines": base.height,
        "rows": rows,
        "split_rows": rows - base.height,
        "shipped": shipped,
        "statuses": dict(base["status"].value_counts().iter_rows()),
        "orders": base["order_id"].n_unique(),
        "skus": base["sku"].n_unique(),
        "source_sellers": base["seller_id"].n_unique(),
        "first_day": str(base["purchase_date"].min().date()),
        "last_day": str(as_of.date()),
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }


def ensure_all_orders(lines: int, source: str = SOURCE) -> dict:
    """The cached All Orders report of ``lines`` lines (written unless present); its
    manifest, with ``path``."""
    folder = DATA_DIR / f"amazon-orders-{count_label(lines)}"
    path = folder / ALL_ORDERS_FILE
    want = {"version": ALL_ORDERS_VERSION, "source": source, "lines_wanted": lines, "seed": SEED}
    found = _manifest(folder)
    if (
        found
        and all(found.get(k) == v for k, v in want.items())
        and path.exists()
        and path.stat().st_size == found.get("bytes")
    ):
        return {**found, "path": str(path)}
    src = datagen.ensure_files(source)
    (folder / "manifest.json").unlink(missing_ok=True)
    info = {
        **want,
        "name": folder.name,
        "source_scale": src["scale"],
        "seller": SELLER,
        **write_all_orders(path, lines, source),
    }
    (folder / "manifest.json").write_text(json.dumps(info, indent=1))
    _say(
        f"{folder.name}: {info['rows']:,} rows, {info['bytes'] / 1e6:,.0f} MB "
        f"in {info['seconds']:.0f} s"
    )
    return {**info, "path": str(path)}


def _manifest(folder: Path) -> dict | None:
    path = folder / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


# --- data: one day of new orders and feedback --------------------------------------------


def ensure_day(size: str) -> dict:
    """``<size>-day/{orders,feedback}.csv`` (module docstring); their manifest, with paths."""
    folder = DATA_DIR / f"{size}-day"
    paths = {t: folder / f"{t}.csv" for t in ("orders", "feedback")}
    src = datagen.ensure_files(size)
    found = _manifest(folder)
    if (
        found
        and found.get("version") == DAY_VERSION
        and found.get("source_scale") == src["scale"]
        and all(p.exists() for p in paths.values())
    ):
        return {**found, "paths": {t: str(p) for t, p in paths.items()}}
    files = datagen.files_of(size, "parquet")
    orders = pl.scan_parquet(files["orders"])
    last = orders.select(pl.col("purchase_date").max()).collect().item().date()
    day = orders.filter(pl.col("purchase_date").dt.date() == last).collect()
    day_ids = day["order_id"].unique()
    one_day = pl.duration(days=1)
    new_orders = day.with_columns(
        order_id=pl.col("order_id") + DAY_SUFFIX, purchase_date=pl.col("purchase_date") + one_day
    ).sort("purchase_date", "order_id", "sku")
    feedback = (
        pl.scan_parquet(files["feedback"])
        .filter(pl.col("event_date").dt.date() == last)
        .collect()
        .with_columns(
            feedback_id=pl.col("feedback_id") + DAY_SUFFIX,
            order_id=pl.when(pl.col("order_id").is_in(day_ids.implode()))
            .then(pl.col("order_id") + DAY_SUFFIX)
            .otherwise(pl.col("order_id")),
            event_date=pl.col("event_date") + one_day,
        )
        .sort("event_date", "feedback_id")
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)
    for table, frame in (("orders", new_orders), ("feedback", feedback)):
        tmp = paths[table].with_name(paths[table].name + ".tmp")
        frame.write_csv(tmp, datetime_format=datagen.TS_FORMAT, date_format="%Y-%m-%d")
        tmp.replace(paths[table])
    info = {
        "name": folder.name,
        "version": DAY_VERSION,
        "size": size,
        "source_scale": src["scale"],
        "source_day": str(last),
        "day": str(last + timedelta(days=1)),
        "rows": {"orders": new_orders.height, "feedback": feedback.height},
        "feedback_on_new_orders": int(feedback["order_id"].str.ends_with(DAY_SUFFIX).sum()),
        "bytes": {t: p.stat().st_size for t, p in paths.items()},
    }
    (folder / "manifest.json").write_text(json.dumps(info, indent=1))
    _say(f"{folder.name}: {info['rows']} for {info['day']}")
    return {**info, "paths": {t: str(p) for t, p in paths.items()}}


# --- the peer: a plain pandas script -----------------------------------------------------


def pandas_import(path: Path) -> dict:
    """What a user would write instead of the project's import (pandas, in memory): read
    the All Orders TSV, timestamps to UTC, statuses lower-cased, the lines of one order
    and SKU merged (earliest non-cancelled purchase time, sum of quantities, cancelled
    only when every line is), per-SKU offers (first order day, median unit price)."""
    import pandas as pd

    seconds = {}
    t0 = time.perf_counter()
    df = pd.read_csv(
        path,
        sep="\t",
        encoding="utf-8-sig",
        usecols=[
            "amazon-order-id",
            "purchase-date",
            "last-updated-date",
            "fulfillment-channel",
            "product-name",
            "sku",
            "asin",
            "item-status",
            "quantity",
            "item-price",
        ],
    )
    t1 = time.perf_counter()
    seconds["read"] = t1 - t0
    df["purchase-date"] = pd.to_datetime(df["purchase-date"], utc=True, format="ISO8601")
    df["last-updated-date"] = pd.to_datetime(df["last-updated-date"], utc=True, format="ISO8601")
    df["status"] = df["item-status"].str.lower()
    t2 = time.perf_counter()
    seconds["parse"] = t2 - t1
    cancelled = df["status"] == "cancelled"
    df["cancelled"] = cancelled
    df["live_purchase"] = df["purchase-date"].where(~cancelled)
    df["live_status"] = df["status"].where(~cancelled)
    orders = (
        df.groupby(["amazon-order-id", "sku"], sort=False)
        .agg(
            purchase_date=("live_purchase", "min"),
            first_purchase=("purchase-date", "min"),
            quantity=("quantity", "sum"),
            all_cancelled=("cancelled", "all"),
            status=("live_status", "first"),
            updated_at=("last-updated-date", "max"),
        )
        .reset_index()
    )
    orders["purchase_date"] = orders["purchase_date"].fillna(orders["first_purchase"])
    orders.loc[orders["all_cancelled"], "status"] = "cancelled"
    orders = orders.drop(columns=["first_purchase", "all_cancelled"])
    t3 = time.perf_counter()
    seconds["merge"] = t3 - t2
    priced = ~cancelled & (df["quantity"] > 0) & (df["item-price"] > 0)
    df["unit_price"] = (df["item-price"] / df["quantity"]).where(priced)
    offers = (
        df.groupby("sku", sort=False)
        .agg(
            asin=("asin", "first"),
            title=("product-name", "first"),
            channel=("fulfillment-channel", "first"),
            price=("unit_price", "median"),
            created_at=("purchase-date", "min"),
        )
        .reset_index()
    )
    offers["created_at"] = offers["created_at"].dt.floor("D")
    offers["fulfilment"] = offers["channel"].map({"Amazon": "FBA", "Merchant": "MFN"})
    seconds["offers"] = time.perf_counter() - t3
    return {
        "seconds": seconds,
        "rows": len(df),
        "orders": len(orders),
        "offers": len(offers),
        "cancelled_orders": int((orders["status"] == "cancelled").sum()),
        "units": int(orders["quantity"].sum()),
    }


# --- workers (run in a fresh process) ----------------------------------------------------


def _counts(summary) -> dict:
    return {
        k: {f: getattr(c, f) for f in ("rows", "records", "added", "updated", "unchanged", "older")}
        for k, c in summary.merged.counts.items()
    }


def worker(task: dict) -> dict:
    kind = task["kind"]
    from engine import pipeline  # imported before the clock starts
    from engine.generations import Store
    from engine.importers.detect import InputFile

    if kind == "all_orders":
        tmp = Path(tempfile.mkdtemp(prefix="vocbench-allorders-"))
        root = tmp / "store"
        try:
            timers = common.pipeline_timers()
            cpu0, t0 = common.cpu_seconds(), time.perf_counter()
            summary = pipeline.import_into_store(
                root, [InputFile(Path(task["file"]))], seller=SELLER
            )
            t1 = time.perf_counter()
            cpu = common.cpu_seconds() - cpu0
            live = Store(root).live()
            return {
                "wall": t1 - t0,
                "cpu": cpu,
                "rss_mb": common.rss_mb(),
                "parts": common.import_parts(timers, summary, t0, t1),
                "counts": _counts(summary),
                "file_type": summary.files[0].label,
                "rows": summary.files[0].rows,
                "generation": summary.generation,
                "store_bytes": live.stat().st_size if live else None,
            }
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    if kind == "one_day":
        root = Path(task["store"])  # a copy the parent made for this run
        target = Store(root)
        files = [InputFile(Path(task["orders"])), InputFile(Path(task["feedback"]))]
        timers = common.pipeline_timers()
        gen0 = target.generation()
        cpu0, t0 = common.cpu_seconds(), time.perf_counter()
        first = pipeline.import_into_store(root, files)
        cpu1, t1 = common.cpu_seconds(), time.perf_counter()
        parts = common.import_parts(timers, first, t0, t1)
        gen1 = target.generation()
        timers.reset()
        cpu2, t2 = common.cpu_seconds(), time.perf_counter()
        again = pipeline.import_into_store(root, files)
        cpu3, t3 = common.cpu_seconds(), time.perf_counter()
        gen2 = target.generation()
        return {
            "wall": t1 - t0,
            "cpu": cpu1 - cpu0,
            "rss_mb": common.rss_mb(),
            "parts": parts,
            "counts": _counts(first),
            "files": [f"{f.file}: {f.label}, {f.rows:,} rows" for f in first.files],
            "changed": first.changed,
            "generations": [gen0, gen1, gen2],
            "live_bytes": target.live().stat().st_size,
            "again": {
                "wall": t3 - t2,
                "cpu": cpu3 - cpu2,
                "parts": common.import_parts(timers, again, t2, t3),
                "changed": again.changed,
                "same_generation": gen2 == gen1,
                "counts": _counts(again),
            },
        }

    if kind == "pandas":
        import pandas  # noqa: F401  (imported before the clock starts, like the engine)

        cpu0, t0 = common.cpu_seconds(), time.perf_counter()
        out = pandas_import(Path(task["file"]))
        wall = time.perf_counter() - t0
        return {
            "wall": wall,
            "cpu": common.cpu_seconds() - cpu0,
            "rss_mb": common.rss_mb(),
            "parts": out.pop("seconds"),
            **out,
            "pandas": pandas.__version__,
        }

    raise ValueError(f"unknown worker task {kind!r}")


# --- the parent: run workers, collect, print ---------------------------------------------


def run_worker(task: dict, timeout: float) -> dict:
    return common.run_worker(__file__, task, timeout=timeout)


def repeat(task_of, runs: int, *, budget: float, timeout: float, after=None) -> list[dict]:
    """Up to ``runs`` workers, fewer once the runs so far took ``budget`` seconds.
    ``task_of(i)`` makes run i's task; ``after(i)`` cleans up after it (even on failure)."""
    results: list[dict] = []
    spent = 0.0
    for i in range(runs):
        if i and spent >= budget:
            _say(f"  budget of {budget:.0f} s spent: {i} run(s)")
            break
        task = task_of(i)
        try:
            r = run_worker(task, timeout)
        except RuntimeError as err:
            lines = [line for line in str(err).splitlines() if line.strip()]
            last = next(
                (ln for ln in reversed(lines) if "Error" in ln or "Exception" in ln),
                lines[-1] if lines else "failed",
            )
            _say(f"  {task['kind']} run {i + 1} FAILED:\n" + "\n".join(lines[-25:]))
            results.append({"error": last})
            break
        finally:
            if after is not None:
                after(i)
        spent += r["wall"]
        results.append(r)
        _say(
            f"  {task['kind']} run {i + 1}: {r['wall']:.2f} s (cpu {r['cpu']:.1f} s, "
            f"load {r['load']:.1f})"
        )
    return results


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _parts(results: list[dict], keys: list[str], get=lambda r: r.get("parts", {})) -> str:
    out = []
    for k in keys:
        vals = [get(r)[k] for r in results if get(r).get(k) is not None]
        if vals:
            out.append(f"{k.replace('_', ' ')} {common.fmt_s(_median(vals))}")
    return ", ".join(out)


def make_row(
    name: str,
    data: str,
    results: list[dict],
    *,
    value=lambda r: r["wall"],
    cpu=lambda r: r.get("cpu"),
    lines: int | None = None,
    target: tuple[str, str, float] | None = None,
    detail: str = "",
) -> dict:
    """One table row. ``target``: (label, "max_s" or "min_rate", number)."""
    errors = [r["error"] for r in results if "error" in r]
    ok = [r for r in results if "error" not in r]
    base = {"measurement": name, "data": data, "target": target[0] if target else ""}
    if not ok:
        return {
            **base,
            "runs": 0,
            "median": None,
            "range": "",
            "cpu": None,
            "rss": 0,
            "load": float("nan"),
            "rate": None,
            "met": "failed",
            "detail": f"FAILED: {(errors or ['no run'])[0][:160]}",
        }
    vals = [value(r) for r in ok]
    med = _median(vals)
    rate = lines / med if lines and med else None
    met = ""
    if target:
        _label, kind, bound = target
        good = (rate is not None and rate >= bound) if kind == "min_rate" else med <= bound
        met = "yes" if good else "**no**"
    cpus = [cpu(r) for r in ok if cpu(r) is not None]
    return {
        **base,
        "runs": len(ok),
        "median": med,
        "range": f"{common.fmt_s(min(vals))}–{common.fmt_s(max(vals))}" if len(vals) > 1 else "",
        "cpu": _median(cpus) if cpus else None,
        "rss": max(r.get("rss_mb", 0) for r in ok),
        "load": _median([r["load"] for r in ok]),
        "rate": rate,
        "met": met,
        "detail": detail + (f"; a later run FAILED: {errors[0][:100]}" if errors else ""),
    }


def render(info: dict, rows: list[dict], notes: list[str]) -> str:
    lines = ["## Import benchmark", ""]
    lines.append(
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory']}, "
        f"Python {info['python']}, duckdb {info['duckdb']}, polars {info['polars']}, "
        f"pandas {info.get('pandas', '?')}, {info['platform']}; engine/ source "
        f"{info.get('code', '?')}; load average at the start {info['load_start']}"
    )
    if info.get("warning"):
        lines.append(f"**Warning: {info['warning']}**")
    lines += ["", *notes]
    lines += [
        "",
        "| Measurement | Data | Runs | Median s | Range s | CPU s | Peak RSS MB | Load | "
        "Lines/s | Breakdown (median s) | Target | Met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['measurement']} | {r['data']} | {r['runs']} | {common.fmt_s(r['median'])} | "
            f"{r['range']} | {common.fmt_s(r['cpu'])} | {r['rss']:.0f} | {r['load']:.1f} | "
            f"{_rate(r['rate'])} | {r['detail']} | {r['target']} | {r['met']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--lines", help="order lines of the All Orders report (default 5m; --quick: 200k)"
    )
    p.add_argument("--store-size", help="data size of the one-day store (default 10m; --quick: 1m)")
    p.add_argument("--quick", action="store_true", help="small data, one run of each")
    p.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3)")
    p.add_argument("--skip", default="", help="comma-separated: all_orders,one_day,pandas")
    p.add_argument(
        "--budget",
        type=float,
        default=BUDGET_S,
        help=f"stop repeating a measurement after this many seconds ({BUDGET_S:.0f})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_S,
        help=f"kill a run after this many seconds ({TIMEOUT_S:.0f})",
    )
    p.add_argument("--prepare", action="store_true", help="only generate the data")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--out", type=Path, help="rewrite the markdown table here after every row")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    lines = datagen.parse_count(args.lines or ("200k" if args.quick else "5m"))
    size = args.store_size or ("1m" if args.quick else "10m")
    runs = 1 if args.quick else args.runs
    skip = set(filter(None, args.skip.split(",")))
    info = common.machine_info()
    info["code"] = common.source_fingerprint("engine")
    info["load_start"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    try:
        import pandas

        info["pandas"] = pandas.__version__
    except ImportError:
        info["pandas"] = "not installed"
        if "pandas" not in skip:
            _say(
                "pandas is not installed: skipping the pandas peer "
                "(.venv/bin/python -m pip install -r bench/requirements.txt)"
            )
            skip.add("pandas")
    _say(str(info))

    datasets: dict[str, dict] = {}
    if not {"all_orders", "pandas"} <= skip:
        datasets["all_orders"] = ensure_all_orders(lines)
    if "one_day" not in skip:
        datasets["store"] = datagen.ensure(f"{size}-store")
        datasets["day"] = ensure_day(size)
    if args.prepare:
        print(json.dumps(datasets, indent=1))
        return 0

    notes: list[str] = []
    ao = datasets.get("all_orders")
    if ao:
        notes.append(
            f"- All Orders report `{ao['name']}`: {ao['rows']:,} rows ({ao['lines']:,} order "
            f"lines + {ao['split_rows']:,} split cancelled-unit rows), {ao['orders']:,} orders, "
            f"{ao['skus']:,} SKUs (of {ao['source_sellers']:,} sellers of `{ao['source']}`, one "
            f"seller `{SELLER}` here), {ao['first_day']} to {ao['last_day']}, "
            f"{ao['bytes'] / 1e6:,.0f} MB; lines/s counts the file's rows"
        )
    if "store" in datasets:
        st, day = datasets["store"], datasets["day"]
        r = st["rows"]
        notes.append(
            f"- store `{st['name']}`: {r['orders']:,} order lines, {r['feedback']:,} feedback "
            f"events, {r['offers']:,} offers, {st['sellers']:,} sellers, live generation "
            f"{st['store_bytes'] / 1e6:,.0f} MB; day `{day['name']}` ({day['day']}): "
            f"{day['rows']['orders']:,} order lines, {day['rows']['feedback']:,} feedback events "
            f"({day['feedback_on_new_orders']:,} on that day's orders)"
        )
    rows: list[dict] = []
    raw: dict[str, object] = {}

    def add(r: dict) -> None:
        rows.append(r)
        _say(
            f"{r['measurement']} / {r['data']}: {common.fmt_s(r['median'])} s, "
            f"{_rate(r['rate'])} lines/s; {r['detail']}"
        )
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(render(info, rows, notes) + "\n")

    project_wall = project_import = None
    project_counts: dict = {}
    if ao and "all_orders" not in skip:
        _say(f"All Orders import ({ao['rows']:,} rows) into an empty store")
        res = repeat(
            lambda i: {"kind": "all_orders", "file": ao["path"]},
            runs,
            budget=args.budget,
            timeout=args.timeout,
        )
        raw["all_orders"] = res
        ok = [r for r in res if "error" not in r]
        label = f"{ao['name']}: {ao['rows'] / 1e6:.2f}M rows, {ao['bytes'] / 1e9:.2f} GB"
        target = (f"≥ {TARGET_RATE:,} lines/s", "min_rate", TARGET_RATE)
        counts = ok[-1]["counts"] if ok else {}
        orders = counts.get("orders", {})
        offers = counts.get("report_offers", {})
        result = (
            f"{orders.get('records', 0):,} orders, {offers.get('records', 0):,} offers; "
            if ok
            else ""
        )
        add(
            make_row(
                "All Orders report into an empty store, whole import (wall)",
                label,
                res,
                lines=ao["rows"],
                target=target,
                detail=result
                + _parts(
                    res,
                    ["open", "import", "refresh", "derived_sql", "snapshot", "commit", "publish"],
                ),
            )
        )
        add(
            make_row(
                "  … import step alone (`seconds_import`: staging + merge)",
                label,
                res,
                value=lambda r: r["parts"]["import"],
                cpu=lambda r: None,
                lines=ao["rows"],
                target=target,
            )
        )
        if ok:
            project_wall = _median([r["wall"] for r in ok])
            project_import = _median([r["parts"]["import"] for r in ok])
            project_counts = ok[-1]["counts"]

    if "store" in datasets and "one_day" not in skip:
        st, day = datasets["store"], datasets["day"]
        _say(f"one-day import into {st['name']}")
        tmp_root = Path(tempfile.mkdtemp(prefix="vocbench-oneday-"))

        def task(i: int) -> dict:
            t0 = time.perf_counter()
            copy = datagen.copy_store(datagen.store_path(st["name"]), tmp_root / f"run-{i}")
            _say(
                f"  copied the store for run {i + 1} in {time.perf_counter() - t0:.1f} s (not timed)"
            )
            return {"kind": "one_day", "store": str(copy), **day["paths"]}

        try:
            res = repeat(
                task,
                runs,
                budget=args.budget,
                timeout=args.timeout,
                after=lambda i: shutil.rmtree(tmp_root / f"run-{i}", ignore_errors=True),
            )
        finally:
            shutil.rmtree(tmp_root, ignore_errors=True)
        raw["one_day"] = res
        ok = [r for r in res if "error" not in r]
        added = ""
        if ok:
            c = ok[-1]["counts"]
            added = (
                ", ".join(f"{v['added']:,} {k} added" for k, v in c.items() if v["added"]) + "; "
            )
        label = (
            f"{day['rows']['orders']:,} order lines + {day['rows']['feedback']:,} events "
            f"into `{st['name']}` ({st['store_bytes'] / 1e6:,.0f} MB)"
        )
        keys = ["copy", "open", "import", "refresh", "derived_sql", "snapshot", "commit", "publish"]
        changed = all(r["changed"] for r in ok)
        add(
            make_row(
                "one-day import into the big store (`import_into_store`)",
                label,
                res,
                target=(f"≤ {TARGET_DAY_S:g} s", "max_s", TARGET_DAY_S),
                detail=("" if changed else "**nothing changed?** ") + added + _parts(res, keys),
            )
        )
        same = all(r["again"]["same_generation"] and not r["again"]["changed"] for r in ok)
        again = [{**r["again"], "load": r["load"], "rss_mb": r["rss_mb"]} for r in ok]
        add(
            make_row(
                "  … the same two files again (nothing changes)",
                label,
                again or [{"error": "no first import"}],
                detail=("generation unchanged" if same else "**the generation changed**")
                + "; "
                + _parts(again, keys),
            )
        )

    if ao and "pandas" not in skip:
        _say("pandas peer on the same All Orders file")
        res = repeat(
            lambda i: {"kind": "pandas", "file": ao["path"]},
            runs,
            budget=args.budget,
            timeout=args.timeout,
        )
        raw["pandas"] = res
        ok = [r for r in res if "error" not in r]
        detail = _parts(res, ["read", "parse", "merge", "offers"])
        if ok:
            last = ok[-1]
            detail += f"; {last['orders']:,} orders, {last['offers']:,} offers"
            pandas_wall = _median([r["wall"] for r in ok])
            if project_wall:
                detail += (
                    f"; pandas time ÷ the project's: **{pandas_wall / project_wall:.2f}** "
                    f"(whole import), {pandas_wall / project_import:.2f} (import step alone)"
                )
                counts = project_counts
                same = (counts["orders"]["records"], counts["report_offers"]["records"]) == (
                    last["orders"],
                    last["offers"],
                )
                detail += (
                    "; same orders and offers"
                    if same
                    else (
                        f"; **counts differ** (project {counts['orders']['records']:,} orders, "
                        f"{counts['report_offers']['records']:,} offers)"
                    )
                )
        add(
            make_row(
                f"pandas script instead (pandas {info['pandas']}, in memory)",
                f"same file ({ao['rows']:,} rows)",
                res,
                lines=ao["rows"],
                detail=detail,
            )
        )

    now = common.source_fingerprint("engine")
    if now != info["code"]:
        info["warning"] = (
            f"engine/ changed during the run ({info['code']} -> {now}): rows may mix code versions"
        )
    text = render(info, rows, notes)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"machine": info, "datasets": datasets, "raw": raw}, indent=1, default=str)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

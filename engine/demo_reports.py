"""The featured demo seller's data as the Amazon Seller Central reports that carry it.

``write_amazon_reports(data, out_dir)`` writes one seller's rows of a ``DemoData`` as the
six report types of docs/amazon-reports.md, byte for byte as Amazon writes them, plus the
product reviews (which no Seller Central report holds) as a canonical feedback CSV and
the seller's own catalogue (categories, prices and listing lifecycle, which no report
holds either), so the importer can be tried without an Amazon account. The contract:

- **Same meaning.** Importing the files into an empty store gives the same orders and
  the same NCX orders per SKU as the demo data: every order line is in the All Orders
  report, every feedback event is in the one report of its source, with the order id,
  SKU, reason code and comment (where the report has those columns) that decide whether
  it counts (docs/health.md). ``engine/demo.py`` generates only events the reports can
  express (comment-less refunds, FBA-only contacts, reason-coded MFN returns).
- **Exact instants.** Every timestamp is the demo's UTC instant to the second: ISO 8601
  with ``+00:00``; the All Orders report in US Pacific time (``-07:00`` / ``-08:00``, by
  the US daylight-saving rules); MFN returns US style with ``PDT`` / ``PST``. Seller
  feedback carries only the UTC day (``%d.%m.%y``, German marketplace headers).
- **Amazon's quirks, on purpose.** All Orders: UTF-8 with a BOM, a unit cancelled beside
  a shipped one written as a second row (every 97th shipped line), two rows written
  twice. FBA returns: cp1252, one row per returned unit (a few events on orders of two
  or more units have two rows). Settlement: gzip, a summary first row, several amount
  rows per refund, ``Order`` rows that are not feedback. Tab-separated files end lines
  in CRLF; no field holds a tab or a line break (replaced by a space).
- **Deterministic.** Same data, same bytes: row orders are sorted, pseudo-random details
  come from fixed seeds or hashes of ids, nothing depends on today's date.

Files (in this order): ``All-Orders-Report.txt``, ``FBA-Customer-Returns.txt``,
``MFN-Returns.txt``, ``Settlement-V2.txt.gz``, ``FBA-Replacements.txt``,
``Seller-Feedback.txt``, ``reviews.csv``, ``catalogue.csv``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from engine.demo import DEMO_SELLER_ID, DemoData, _order_ids

ALL_ORDERS_HEADER: tuple[str, ...] = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date",
    "order-status", "fulfillment-channel", "sales-channel", "order-channel", "url",
    "ship-service-level", "product-name", "sku", "asin", "item-status", "quantity",
    "currency", "item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price",
    "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
    "purchase-order-number", "price-designation",
)  # fmt: skip
FBA_RETURNS_HEADER: tuple[str, ...] = (
    "return-date", "order-id", "sku", "asin", "fnsku", "product-name", "quantity",
    "fulfillment-center-id", "detailed-disposition", "reason", "status",
    "license-plate-number", "customer-comments",
)  # fmt: skip
MFN_RETURNS_HEADER: tuple[str, ...] = (
    "Order ID", "Order date", "Return request date", "Return request status",
    "Amazon RMA ID", "Merchant RMA ID", "Label type", "Label cost", "Currency code",
    "Return carrier", "Tracking ID", "Label to be paid by", "A-to-Z Claim", "Is prime",
    "ASIN", "Merchant SKU", "Item Name", "Return quantity", "Return Reason", "In policy",
    "Return type", "Resolution", "Invoice number", "Return delivery date", "Order Amount",
    "Order quantity", "SafeT Action reason", "SafeT claim id", "SafeT claim state",
    "SafeT claim creation time", "SafeT claim reimbursement amount", "Refunded Amount",
)  # fmt: skip
SETTLEMENT_HEADER: tuple[str, ...] = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date",
    "total-amount", "currency", "transaction-type", "order-id", "merchant-order-id",
    "adjustment-id", "shipment-id", "marketplace-name", "amount-type", "amount-description",
    "amount", "fulfillment-id", "posted-date", "posted-date-time", "order-item-code",
    "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id",
)  # fmt: skip
REPLACEMENTS_HEADER: tuple[str, ...] = (
    "shipment-date", "sku", "asin", "fulfillment-center-id", "original-fulfillment-center-id",
    "quantity", "replacement-reason-code", "replacement-amazon-order-id",
    "original-amazon-order-id",
)  # fmt: skip
# Date, Rating, Comments, Your Response, Order ID, Rater Email (amazon.de wording).
SELLER_FEEDBACK_HEADER: tuple[str, ...] = (
    "Datum", "Bewertung", "Kommentare", "Ihre Antwort", "Bestellnummer",
    "E-Mail-Adresse des Bewerters",
)  # fmt: skip
REVIEWS_HEADER: tuple[str, ...] = (
    "feedback_id", "sku", "order_id", "event_date", "source", "reason_code", "rating",
    "comment", "fulfilment_center",
)  # fmt: skip

FILE_NAMES: tuple[str, ...] = (
    "All-Orders-Report.txt",
    "FBA-Customer-Returns.txt",
    "MFN-Returns.txt",
    "Settlement-V2.txt.gz",
    "FBA-Replacements.txt",
    "Seller-Feedback.txt",
    "reviews.csv",
    "catalogue.csv",
)
CATALOGUE_HEADER: tuple[str, ...] = (
    "sku", "asin", "title", "brand", "category", "subcategory", "price", "fulfilment",
    "created_at", "closed_at", "closed_reason", "reinstated_at", "deleted_at",
)  # fmt: skip
SPLIT_EVERY: int = 97  # every 97th shipped line also gets a cancelled unit row

# Ship-to places: (city, province, postal prefix, sales tax rate).
_PLACES: tuple[tuple[str, str, str, float], ...] = (
    ("Toronto", "ON", "M5V", 0.13), ("Ottawa", "ON", "K1P", 0.13),
    ("Mississauga", "ON", "L5B", 0.13), ("Montréal", "QC", "H2X", 0.14975),
    ("Vancouver", "BC", "V6B", 0.12), ("Calgary", "AB", "T2P", 0.05),
    ("Halifax", "NS", "B3H", 0.15), ("Winnipeg", "MB", "R3C", 0.12),
)  # fmt: skip
_TAX = 0.13  # settlement and MFN amounts: Ontario HST
_CP1252_FLOURISH: tuple[str, ...] = (" – déçu", " – 30 € perdus", " Très déçu…")
_DISPOSITION: dict[str, str] = {
    "DEFECTIVE": "DEFECTIVE", "WARRANTY": "DEFECTIVE", "QUALITY_UNACCEPTABLE": "DEFECTIVE",
    "MISSING_PARTS": "DEFECTIVE", "DAMAGED_BY_FC": "DAMAGED",
    "DAMAGED_BY_CARRIER": "CARRIER_DAMAGED",
}  # fmt: skip
_STATUS_OF_DISPOSITION: dict[str, str] = {
    "SELLABLE": "Unit returned to inventory", "DAMAGED": "Reimbursed",
    "CARRIER_DAMAGED": "Reimbursed", "DEFECTIVE": "Disposed of",
    "CUSTOMER_DAMAGED": "Disposed of", "EXPIRED": "Disposed of",
}  # fmt: skip
_BUYER_PAYS: frozenset[str] = frozenset(
    {"UNWANTED_ITEM", "NO_REASON_GIVEN", "FOUND_BETTER_PRICE", "MISORDERED",
     "ORDERED_WRONG_ITEM", "UNAUTHORIZED_PURCHASE", "DID_NOT_LIKE_COLOR",
     "DID_NOT_LIKE_FABRIC", "APPAREL_STYLE"}
)  # fmt: skip
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def write_amazon_reports(
    data: DemoData, out_dir: Path, *, seller_id: str = DEMO_SELLER_ID
) -> list[Path]:
    """Write ``seller_id``'s orders and feedback as Seller Central reports into ``out_dir``.

    Creates ``out_dir`` if missing and overwrites the eight files of ``FILE_NAMES``;
    returns their paths in that order. Same ``data``, same bytes. Raises ``ValueError``
    when ``data`` holds no offer of ``seller_id``.
    """
    offers = data.offers.filter(pl.col("seller_id") == seller_id)
    if offers.height == 0:
        raise ValueError(f"no offers of seller {seller_id!r} in the data")
    catalogue = offers.select("sku", "asin", "title", "price", "fulfilment")
    orders = data.orders.filter(pl.col("seller_id") == seller_id).join(catalogue, on="sku")
    line = orders.select("order_id", "sku", "purchase_date", "quantity", "sold_by_seller")
    feedback = (
        data.feedback.filter(pl.col("seller_id") == seller_id)
        .join(catalogue, on="sku")
        .join(line, on=["order_id", "sku"], how="left")
        .sort("event_date", "feedback_id")
    )
    # When the reports were "downloaded": the seller's latest order or event.
    latest = [orders["purchase_date"].max(), feedback["event_date"].max()]
    as_of = max((t for t in latest if isinstance(t, datetime)), default=datetime(2000, 1, 1))

    def source(name: str, fulfilment: str | None = None) -> pl.DataFrame:
        rows = feedback.filter(pl.col("source") == name)
        return rows if fulfilment is None else rows.filter(pl.col("fulfilment") == fulfilment)

    tables = (
        (_all_orders(orders, as_of), ALL_ORDERS_HEADER, {"bom": True}),
        (_fba_returns(source("return", "FBA")), FBA_RETURNS_HEADER, {"encoding": "cp1252"}),
        (_mfn_returns(source("return", "MFN"), as_of), MFN_RETURNS_HEADER, {}),
        (_settlement(source("refund"), orders, seller_id, as_of), SETTLEMENT_HEADER,
         {"compress": True}),
        (_replacements(source("contact")), REPLACEMENTS_HEADER, {}),
        (_seller_feedback(source("seller_feedback")), SELLER_FEEDBACK_HEADER, {}),
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        _write_tsv(out_dir / name, header, frame, **options)
        for name, (frame, header, options) in zip(FILE_NAMES, tables, strict=False)
    ]
    return [
        *paths,
        _write_reviews(out_dir / FILE_NAMES[-2], source("review")),
        _write_catalogue(out_dir / FILE_NAMES[-1], offers),
    ]


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------
def _write_tsv(
    path: Path,
    header: tuple[str, ...],
    frame: pl.DataFrame,
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    compress: bool = False,
) -> Path:
    """One header row and ``frame``'s columns ``header`` as text, tab-separated, CRLF.

    Nulls and columns missing from ``frame`` are written empty; tabs, CR and LF inside a
    field become spaces; characters the encoding lacks become ``?``. ``bom`` prepends the
    UTF-8 BOM; ``compress`` gzips with a zero timestamp and no file name (deterministic).
    """
    cells = [
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(pl.String).fill_null("")
        for c in header
    ]
    cells = [cell.str.replace_all(r"[\t\r\n]", " ") for cell in cells]
    lines = frame.select(pl.concat_str(cells, separator="\t").alias("line"))["line"]
    text = "".join(line + "\r\n" for line in ["\t".join(header), *lines.to_list()])
    raw = text.encode(encoding, errors="replace")
    if bom:
        raw = codecs.BOM_UTF8 + raw
    if compress:
        raw = gzip.compress(raw, compresslevel=9, mtime=0)
    path.write_bytes(raw)
    return path


def _write_reviews(path: Path, reviews: pl.DataFrame) -> Path:
    """Reviews as a canonical feedback CSV without ``seller_id`` (RFC 4180, UTF-8)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(REVIEWS_HEADER)
    rows = reviews.with_columns(
        pl.col("event_date").dt.strftime("%Y-%m-%dT%H:%M:%SZ"), pl.col("rating").cast(pl.String)
    ).select(REVIEWS_HEADER)
    writer.writerows(["" if v is None else v for v in row] for row in rows.iter_rows())
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def _write_catalogue(path: Path, offers: pl.DataFrame) -> Path:
    """The seller's own listing facts no report carries (categories, prices, when a
    listing was created, closed or deleted) as a catalogue CSV (RFC 4180, UTF-8)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CATALOGUE_HEADER)
    rows = offers.sort("sku").select(
        pl.col(c).cast(pl.String) if c != "price" else pl.col(c).round(2).cast(pl.String)
        for c in CATALOGUE_HEADER
    )
    writer.writerows(["" if v is None else v for v in row] for row in rows.iter_rows())
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------
def _either(condition: pl.Expr, yes: str, no: str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(yes)).otherwise(pl.lit(no))


def _lits(values: dict[str, str]) -> list[pl.Expr]:
    """Columns of one constant text each (empty columns need none: see ``_write_tsv``)."""
    return [pl.lit(v, dtype=pl.String).alias(k) for k, v in values.items()]


def _money(x: pl.Expr) -> pl.Expr:
    """An amount with exactly two decimals ("-12.50"); null stays null."""
    cents = (x * 100).round(0).cast(pl.Int64)
    whole, frac = (cents.abs() // 100).cast(pl.String), (cents.abs() % 100).cast(pl.String)
    return pl.concat_str([_either(cents < 0, "-", ""), whole, pl.lit("."), frac.str.zfill(2)])


def _iso_utc(ts: pl.Expr) -> pl.Expr:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _sunday_on_or_after(day: pl.Expr) -> pl.Expr:
    return day + pl.duration(days=(7 - day.dt.weekday()) % 7)  # weekday: Monday 1 .. Sunday 7


def _pacific_dst(ts: pl.Expr) -> pl.Expr:
    """Whether a naive UTC instant falls in US Pacific daylight time (rules since 2007):
    from 2:00 PST on the second Sunday of March (10:00 UTC) to 2:00 PDT on the first
    Sunday of November (09:00 UTC)."""
    year = ts.dt.year()
    start = _sunday_on_or_after(pl.date(year, 3, 8)).cast(pl.Datetime("us"))
    end = _sunday_on_or_after(pl.date(year, 11, 1)).cast(pl.Datetime("us"))
    return (ts >= start + pl.duration(hours=10)) & (ts < end + pl.duration(hours=9))


def _pacific_local(ts: pl.Expr) -> pl.Expr:
    return ts + pl.duration(hours=pl.when(_pacific_dst(ts)).then(-7).otherwise(-8))


def _iso_pacific(ts: pl.Expr) -> pl.Expr:
    """ISO 8601 in US Pacific time with its offset: ``2026-10-30T15:15:03-07:00``."""
    local = _pacific_local(ts).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return pl.concat_str([local, _either(_pacific_dst(ts), "-07:00", "-08:00")])


def _us_pacific(ts: pl.Expr) -> pl.Expr:
    """US style with the zone's abbreviation: ``Oct 3, 2026 7:53:55 PM PDT``."""
    local = _pacific_local(ts).dt.strftime("%b %-d, %Y %-I:%M:%S %p")
    return pl.concat_str([local, _either(_pacific_dst(ts), " PDT", " PST")])


def _us_day(ts: pl.Expr) -> pl.Expr:
    """The US Pacific calendar day, US style: ``Oct 3, 2026``."""
    return _pacific_local(ts).dt.strftime("%b %-d, %Y")


def _codes(keys: pl.Series, length: int, salt: str, prefix: str = "") -> pl.Series:
    """Stable pseudo-random codes (``prefix`` + ``length`` <= 32 digits and capitals), one
    per key: a hash of the key, so the same key always gives the same code."""

    def code(key: str) -> str:
        digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()[:length]
        return prefix + "".join(_ALNUM[b % len(_ALNUM)] for b in digest)

    return pl.Series([code(k) for k in keys.to_list()], dtype=pl.String)


def _digits(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    values = rng.integers(0, 10**width, n, dtype=np.int64)
    return pl.Series(values).cast(pl.String).str.zfill(width)


# ---------------------------------------------------------------------------------------
# All Orders
# ---------------------------------------------------------------------------------------
def _all_orders(orders: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """One row per order line, plus split cancelled units and two duplicated rows.

    order-status is the order's: Cancelled when every line is, Pending when a line is,
    otherwise Shipped. Every ``SPLIT_EVERY``-th shipped line (in purchase order) is
    followed by a row for one more unit of it, item-status Cancelled, no price. The
    shipped lines at one third and two thirds of the rest are written twice. Half the
    cancelled lines have no item-price. last-updated-date: shipped 1-3 days after the
    purchase, cancelled hours, pending minutes (never after ``as_of``).
    """
    rng = np.random.default_rng(9701)
    lines = orders.sort("purchase_date", "order_id", "sku")
    n = lines.height
    place = rng.integers(0, len(_PLACES), n)
    letters = "ABCEGHJKLMNPRSTVWXYZ"  # those Canadian postal codes use
    postal = [
        f"{_PLACES[p][2]} {a}{letters[b]}{c}"
        for p, a, b, c in zip(place, rng.integers(0, 10, n), rng.integers(0, len(letters), n),
                              rng.integers(0, 10, n), strict=True)
    ]  # fmt: skip
    status = pl.col("status")
    age_us = pl.Series(rng.uniform(20, 70, n) * 3.6e9).cast(pl.Int64)
    lines = lines.with_columns(
        _rate=pl.Series([_PLACES[p][3] for p in place]),
        _city=pl.Series([_PLACES[p][0] for p in place], dtype=pl.String),
        _state=pl.Series([_PLACES[p][1] for p in place], dtype=pl.String),
        _postal=pl.Series(postal, dtype=pl.String),
        _age=pl.when(status == "shipped")
        .then(age_us)
        .otherwise(age_us // pl.when(status == "cancelled").then(10).otherwise(300)),
        _hide=pl.Series(rng.random(n) < 0.5) & (status == "cancelled"),
        _expedited=pl.Series(rng.random(n) < 0.08),
        _line=pl.int_range(pl.len()),
        _shipped_no=pl.when(status == "shipped").then(pl.cum_count("order_id").over(status) - 1),
    )
    order_status = (
        pl.when((status == "cancelled").all().over("order_id"))
        .then(pl.lit("Cancelled"))
        .when((status == "pending").any().over("order_id"))
        .then(pl.lit("Pending"))
        .otherwise(pl.lit("Shipped"))
    )
    updated = (pl.col("purchase_date") + pl.duration(microseconds=pl.col("_age"))).clip(
        upper_bound=pl.max_horizontal(pl.lit(as_of), pl.col("purchase_date"))
    )
    total = pl.col("price") * pl.col("quantity")
    shipping = pl.when((pl.col("fulfilment") == "MFN") & ~pl.col("_expedited")).then(4.99)
    shipping = shipping.otherwise(0.0)
    rows = lines.select(
        "_line",
        "_shipped_no",
        pl.col("order_id").alias("amazon-order-id"),
        _iso_pacific(pl.col("purchase_date")).alias("purchase-date"),
        _iso_pacific(updated).alias("last-updated-date"),
        order_status.alias("order-status"),
        _either(pl.col("fulfilment") == "FBA", "Amazon", "Merchant").alias("fulfillment-channel"),
        _either(pl.col("_expedited"), "Expedited", "Standard").alias("ship-service-level"),
        pl.col("title").alias("product-name"),
        "sku",
        "asin",
        status.replace_strict(
            {"shipped": "Shipped", "pending": "Pending", "cancelled": "Cancelled"}
        ).alias("item-status"),
        pl.col("quantity").cast(pl.String),
        pl.when(~pl.col("_hide")).then(_money(total)).alias("item-price"),
        pl.when(~pl.col("_hide")).then(_money(total * pl.col("_rate"))).alias("item-tax"),
        _money(shipping).alias("shipping-price"),
        _money(shipping * pl.col("_rate")).alias("shipping-tax"),
        pl.col("_city").alias("ship-city"),
        pl.col("_state").alias("ship-state"),
        pl.col("_postal").alias("ship-postal-code"),
        *_lits({"sales-channel": "Amazon.ca", "currency": "CAD", "ship-country": "CA",
                "item-promotion-discount": "0.00", "ship-promotion-discount": "0.00",
                "is-business-order": "false"}),
    )  # fmt: skip
    is_split = pl.col("_shipped_no") % SPLIT_EVERY == SPLIT_EVERY // 2
    split = rows.filter(is_split).with_columns(
        pl.lit("Cancelled").alias("item-status"),
        pl.lit("1").alias("quantity"),
        pl.lit(None, dtype=pl.String).alias("item-price"),
        pl.lit(None, dtype=pl.String).alias("item-tax"),
    )
    plain = rows.filter(pl.col("_shipped_no").is_not_null() & ~is_split)
    twice = pl.concat([plain.slice(plain.height // 3, 1), plain.slice(2 * plain.height // 3, 1)])
    return (
        pl.concat([rows.with_columns(_k=0), split.with_columns(_k=1), twice.with_columns(_k=2)])
        .sort("_line", "_k")
        .drop("_line", "_shipped_no", "_k")
    )


# ---------------------------------------------------------------------------------------
# Returns
# ---------------------------------------------------------------------------------------
def _fba_returns(returns: pl.DataFrame) -> pl.DataFrame:
    """One row per returned unit of FBA returns (written in cp1252).

    Every 4th return on an order line of two or more units is written as two unit rows,
    identical but for the license plate (the importer counts one event). fnsku is the
    seller's ``X00...`` label, or the ASIN for a commingled unit (manufacturer barcode).
    Some comments of returns whose reason code decides get a French flourish with
    cp1252-only characters (``– é ç € …``, a typographic apostrophe); comments whose text
    decides the classification (reason OTHER or none) are written exactly as they are.
    """
    code, comment = pl.col("reason_code"), pl.col("comment")
    text_decides = code.is_null() | (code == "OTHER")
    commented = comment.str.strip_chars().str.len_chars().fill_null(0) > 0
    expired = comment.str.contains(r"(?i)expir|best before").fill_null(False)
    disposition = (
        pl.when(text_decides)
        .then(_either(expired, "EXPIRED", "CUSTOMER_DAMAGED"))
        .when(code.is_in(list(_DISPOSITION)))
        .then(code.replace_strict(_DISPOSITION, default=None))
        .when(pl.col("_no") % 7 == 3)
        .then(pl.lit("CUSTOMER_DAMAGED"))
        .otherwise(pl.lit("SELLABLE"))
    )
    flourish = pl.when(~text_decides & commented).then(pl.col("_no") % 37)
    decorated = (
        pl.when(flourish < len(_CP1252_FLOURISH))
        .then(pl.concat_str([comment, flourish.replace_strict(dict(enumerate(_CP1252_FLOURISH)))]))
        .when(flourish == len(_CP1252_FLOURISH))
        .then(comment.str.replace_all("'", "\u2019", literal=True))
        .otherwise(comment)
    )
    multi = pl.col("quantity").fill_null(1) >= 2
    frame = returns.with_columns(_no=pl.int_range(pl.len())).with_columns(
        _disp=disposition,
        _twice=multi & (pl.int_range(pl.len()).over(multi) % 4 == 1),
    )
    units = pl.concat(
        [
            frame.with_columns(_unit=pl.lit("a")),
            frame.filter("_twice").with_columns(_unit=pl.lit("b")),
        ]
    ).sort("_no", "_unit")
    plates = _codes(units["feedback_id"] + units["_unit"], 10, "lpn", "LPNR")
    return units.select(
        _iso_utc(pl.col("event_date")).alias("return-date"),
        pl.col("order_id").alias("order-id"),
        "sku",
        "asin",
        pl.when(pl.col("sold_by_seller").fill_null(True))
        .then(pl.lit(_codes(units["sku"], 7, "fnsku", "X00")))
        .otherwise(pl.col("asin"))
        .alias("fnsku"),
        pl.col("title").alias("product-name"),
        pl.lit("1").alias("quantity"),
        pl.col("fulfilment_center").alias("fulfillment-center-id"),
        pl.col("_disp").alias("detailed-disposition"),
        code.alias("reason"),
        pl.col("_disp").replace_strict(_STATUS_OF_DISPOSITION).alias("status"),
        pl.lit(plates).alias("license-plate-number"),
        decorated.alias("customer-comments"),
    )


def _mfn_returns(returns: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Merchant-fulfilled returns: ``CR-`` + reason (``AMZ-PG-`` codes as they are; no
    reason -> ``CR-OTHER``), the request time in US Pacific style, no comment column."""
    rng = np.random.default_rng(9702)
    n = returns.height
    code = pl.col("reason_code")
    reason = (
        pl.when(code.is_null())
        .then(pl.lit("CR-OTHER"))
        .when(code.str.starts_with("AMZ-PG-"))
        .then(code)
        .otherwise(pl.concat_str([pl.lit("CR-"), code]))
    )
    delivered = pl.col("event_date") + pl.duration(days=pl.Series(rng.integers(4, 10, n)))
    done = delivered <= as_of
    rma = _codes(returns["feedback_id"], 8, "rma", "D") + "RRMA"
    return returns.with_columns(_tracking=_digits(rng, n, 16)).select(
        pl.col("order_id").alias("Order ID"),
        _us_day(pl.col("purchase_date")).alias("Order date"),
        _us_pacific(pl.col("event_date")).alias("Return request date"),
        _either(done, "Closed", "Approved").alias("Return request status"),
        pl.lit(rma).alias("Amazon RMA ID"),
        pl.col("_tracking").alias("Tracking ID"),
        _either(code.is_in(list(_BUYER_PAYS)).fill_null(False), "Customer", "Seller").alias(
            "Label to be paid by"
        ),
        pl.col("asin").alias("ASIN"),
        pl.col("sku").alias("Merchant SKU"),
        pl.col("title").alias("Item Name"),
        reason.alias("Return Reason"),
        pl.when(done).then(_us_day(delivered)).alias("Return delivery date"),
        _money(pl.col("price") * pl.col("quantity")).alias("Order Amount"),
        pl.col("quantity").cast(pl.String).alias("Order quantity"),
        pl.when(done).then(_money(pl.col("price"))).alias("Refunded Amount"),
        *_lits({"Label type": "AmazonPrePaidLabel", "Label cost": "8.49", "Currency code": "CAD",
                "Return carrier": "Canada Post", "A-to-Z Claim": "N", "Is prime": "N",
                "Return quantity": "1", "In policy": "Y", "Return type": "C-Returns",
                "Resolution": "StandardRefund"}),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# Settlement, replacements, seller feedback
# ---------------------------------------------------------------------------------------
def _settlement(
    refunds: pl.DataFrame, orders: pl.DataFrame, seller_id: str, as_of: datetime
) -> pl.DataFrame:
    """Settlement V2: the summary row, then amount rows by posting time.

    A refund event (one unit) is an ``ItemPrice`` ``Principal`` and ``Tax`` row, and for
    every second refund an ``ItemFees`` ``RefundCommission`` row, all negative, posted at
    the event's instant. ``Order`` rows (principal, tax, commission, FBA fee) are posted
    26 hours after the purchase of every refunded line and every 10th other shipped line,
    when that is before ``as_of``: they are sales, not feedback.
    """
    rng = np.random.default_rng(9703)
    digest = hashlib.sha256(f"settlement:{seller_id}".encode()).hexdigest()
    settlement_id = "1" + str(int(digest, 16) % 10**10).zfill(10)
    refunded = refunds.select("order_id", "sku").unique().with_columns(_refunded=pl.lit(True))
    sold = (
        orders.filter(pl.col("status") == "shipped")
        .sort("purchase_date", "order_id", "sku")
        .with_columns(_posted=pl.col("purchase_date") + pl.duration(hours=26))
        .join(refunded, on=["order_id", "sku"], how="left", maintain_order="left")
        .filter(
            (pl.col("_refunded").fill_null(False) | (pl.int_range(pl.len()) % 10 == 0))
            & (pl.col("_posted") <= as_of)
        )
    )
    price, total = pl.col("price"), pl.col("price") * pl.col("quantity")
    fee = pl.when(pl.col("fulfilment") == "FBA").then(-4.25 * pl.col("quantity"))
    kinds = [
        ("Order", sold, pl.col("_posted"), pl.col("quantity").cast(pl.String), [
            ("ItemPrice", "Principal", total), ("ItemPrice", "Tax", total * _TAX),
            ("ItemFees", "Commission", -0.15 * total), ("ItemFees", "FBAPerUnitFulfillmentFee", fee),
        ]),
        ("Refund", refunds.with_columns(_no=pl.int_range(pl.len())), pl.col("event_date"),
         pl.lit(None, dtype=pl.String), [
            ("ItemPrice", "Principal", -price), ("ItemPrice", "Tax", -price * _TAX),
            ("ItemFees", "RefundCommission", pl.when(pl.col("_no") % 2 == 0).then(-0.03 * price)),
        ]),
    ]  # fmt: skip
    parts = [
        frame.select(
            pl.lit(kind).alias("transaction-type"),
            "order_id", "sku", "fulfilment",
            posted.alias("_posted"),
            pl.lit(i).alias("_k"),
            pl.lit(amount_type).alias("amount-type"),
            pl.lit(description).alias("amount-description"),
            amount.round(2).alias("_amount"),
            quantity.alias("quantity-purchased"),
        ).filter(pl.col("_amount").is_not_null())
        for kind, frame, posted, quantity, amounts in kinds
        for i, (amount_type, description, amount) in enumerate(amounts)
    ]  # fmt: skip
    body = pl.concat(parts).sort("_posted", "order_id", "sku", "transaction-type", "_k")
    # Ids shared by the rows of one transaction (an order line or a refund).
    txn = body.select("transaction-type", "order_id", "sku").unique(maintain_order=True)
    txn = txn.with_columns(
        _item=_digits(rng, txn.height, 14),
        _adjustment=_digits(rng, txn.height, 14),
        _shipment=_codes(txn["order_id"] + txn["sku"], 9, "ship", "D"),
    )
    key = ["transaction-type", "order_id", "sku"]
    body = body.join(txn, on=key, how="left", maintain_order="left")
    start = body["_posted"].min() if body.height else as_of
    assert isinstance(start, datetime)
    summary = pl.DataFrame(
        {
            "settlement-id": [settlement_id],
            "settlement-start-date": [_iso(start.replace(hour=0, minute=0, second=0))],
            "settlement-end-date": [_iso(as_of)],
            "deposit-date": [_iso(as_of + timedelta(days=2))],
            "total-amount": [f"{float(body['_amount'].sum()):.2f}"],
            "currency": ["CAD"],
        }
    )
    refund = pl.col("transaction-type") == "Refund"
    rows = body.select(
        pl.lit(settlement_id).alias("settlement-id"),
        "transaction-type",
        pl.col("order_id").alias("order-id"),
        pl.when(refund).then(pl.col("_adjustment")).alias("adjustment-id"),
        pl.when(~refund).then(pl.col("_shipment")).alias("shipment-id"),
        "amount-type",
        "amount-description",
        _money(pl.col("_amount")).alias("amount"),
        _either(pl.col("fulfilment") == "FBA", "AFN", "MFN").alias("fulfillment-id"),
        pl.col("_posted").dt.strftime("%Y-%m-%d").alias("posted-date"),
        _iso_utc(pl.col("_posted")).alias("posted-date-time"),
        pl.col("_item").alias("order-item-code"),
        "sku",
        "quantity-purchased",
        *_lits({"marketplace-name": "Amazon.ca"}),
    )
    return pl.concat([summary, rows], how="diagonal")


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _replacements(contacts: pl.DataFrame) -> pl.DataFrame:
    """FBA replacements: one row per contact event, on the original order.

    original-fulfillment-center-id is the event's fulfilment centre; every third
    replacement ships from another centre. Replacement order ids are Amazon-style ids of
    order numbers the demo never uses (from 77 x 10^12), so they match no order line.
    """
    n = contacts.height
    centres = sorted(set(contacts["fulfilment_center"].drop_nulls().to_list())) or ["YYZ4"]
    other = pl.Series([centres[(i * 5 + 1) % len(centres)] for i in range(n)], dtype=pl.String)
    numbers = np.arange(n, dtype=np.int64) + 77 * 10**12
    new_ids = _order_ids(numbers) if n else pl.lit(None, dtype=pl.String)
    return contacts.with_columns(_other=other, _no=pl.int_range(pl.len())).select(
        _iso_utc(pl.col("event_date")).alias("shipment-date"),
        "sku",
        "asin",
        pl.when(pl.col("_no") % 3 == 2)
        .then(pl.col("_other"))
        .otherwise(pl.col("fulfilment_center"))
        .alias("fulfillment-center-id"),
        pl.col("fulfilment_center").alias("original-fulfillment-center-id"),
        pl.lit("1").alias("quantity"),
        pl.col("reason_code").fill_null("0").alias("replacement-reason-code"),
        new_ids.alias("replacement-amazon-order-id"),
        pl.col("order_id").alias("original-amazon-order-id"),
    )


def _seller_feedback(feedback: pl.DataFrame) -> pl.DataFrame:
    """Seller feedback, newest first, as amazon.de writes it: ``%d.%m.%y`` UTC days, a
    short response to every third rating of 1-2 stars, a fake rater e-mail (a hash of the
    feedback id: deterministic, and no real address)."""
    emails = _codes(feedback["feedback_id"], 16, "rater").str.to_lowercase()
    response = "Das tut uns leid – bitte kontaktieren Sie uns."
    return (
        feedback.with_columns(_email=emails + "@marketplace.amazon.ca", _no=pl.int_range(pl.len()))
        .sort("event_date", "feedback_id", descending=True)
        .select(
            pl.col("event_date").dt.strftime("%d.%m.%y").alias("Datum"),
            pl.col("rating").cast(pl.String).alias("Bewertung"),
            pl.col("comment").alias("Kommentare"),
            pl.when((pl.col("rating") <= 2) & (pl.col("_no") % 3 == 0))
            .then(pl.lit(response))
            .alias("Ihre Antwort"),
            pl.col("order_id").alias("Bestellnummer"),
            pl.col("_email").alias("E-Mail-Adresse des Bewerters"),
        )
    )

"""The demo seller's Seller Central reports (engine/demo_reports.py) are what Amazon writes
and mean what the demo data means.

One scale-1 demo (module fixture) is written once; the files are read back here with
plain Python, independently of the importers, and compared with the demo frames.
"""

from __future__ import annotations

import codecs
import csv
import gzip
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from engine import demo, demo_reports, themes
from engine.demo_reports import write_amazon_reports

NAMES = (
    "All-Orders-Report.txt",
    "FBA-Customer-Returns.txt",
    "MFN-Returns.txt",
    "Settlement-V2.txt.gz",
    "FBA-Replacements.txt",
    "Seller-Feedback.txt",
    "reviews.csv",
    "catalogue.csv",
)
# Headers exactly as in /work/shared/docs/amazon-reports.md (seller feedback: amazon.de wording).
HEADERS = {
    "All-Orders-Report.txt": [
        "amazon-order-id",
        "merchant-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
        "fulfillment-channel",
        "sales-channel",
        "order-channel",
        "url",
        "ship-service-level",
        "product-name",
        "sku",
        "asin",
        "item-status",
        "quantity",
        "currency",
        "item-price",
        "item-tax",
        "shipping-price",
        "shipping-tax",
        "gift-wrap-price",
        "gift-wrap-tax",
        "item-promotion-discount",
        "ship-promotion-discount",
        "ship-city",
        "ship-state",
        "ship-postal-code",
        "ship-country",
        "promotion-ids",
        "is-business-order",
        "purchase-order-number",
        "price-designation",
    ],
    "FBA-Customer-Returns.txt": [
        "return-date",
        "order-id",
        "sku",
        "asin",
        "fnsku",
        "product-name",
        "quantity",
        "fulfillment-center-id",
        "detailed-disposition",
        "reason",
        "status",
        "license-plate-number",
        "customer-comments",
    ],
    "MFN-Returns.txt": [
        "Order ID",
        "Order date",
        "Return request date",
        "Return request status",
        "Amazon RMA ID",
        "Merchant RMA ID",
        "Label type",
        "Label cost",
        "Currency code",
        "Return carrier",
        "Tracking ID",
        "Label to be paid by",
        "A-to-Z Claim",
        "Is prime",
        "ASIN",
        "Merchant SKU",
        "Item Name",
        "Return quantity",
        "Return Reason",
        "In policy",
        "Return type",
        "Resolution",
        "Invoice number",
        "Return delivery date",
        "Order Amount",
        "Order quantity",
        "SafeT Action reason",
        "SafeT claim id",
        "SafeT claim state",
        "SafeT claim creation time",
        "SafeT claim reimbursement amount",
        "Refunded Amount",
    ],
    "Settlement-V2.txt.gz": [
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "merchant-order-id",
        "adjustment-id",
        "shipment-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "fulfillment-id",
        "posted-date",
        "posted-date-time",
        "order-item-code",
        "merchant-order-item-id",
        "merchant-adjustment-item-id",
        "sku",
        "quantity-purchased",
        "promotion-id",
    ],
    "FBA-Replacements.txt": [
        "shipment-date",
        "sku",
        "asin",
        "fulfillment-center-id",
        "original-fulfillment-center-id",
        "quantity",
        "replacement-reason-code",
        "replacement-amazon-order-id",
        "original-amazon-order-id",
    ],
    "Seller-Feedback.txt": [
        "Datum",
        "Bewertung",
        "Kommentare",
        "Ihre Antwort",
        "Bestellnummer",
        "E-Mail-Adresse des Bewerters",
    ],
    "catalogue.csv": list(demo_reports.CATALOGUE_HEADER),
    "reviews.csv": [
        "feedback_id",
        "sku",
        "order_id",
        "event_date",
        "source",
        "reason_code",
        "rating",
        "comment",
        "fulfilment_center",
    ],
}
ENCODING = {"FBA-Customer-Returns.txt": "cp1252"}
PACIFIC = {"PDT": timedelta(hours=-7), "PST": timedelta(hours=-8)}


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate(1.0, 7)


@pytest.fixture(scope="module")
def out(data, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports") / "amazon"  # created by the writer
    paths = write_amazon_reports(data, folder)
    assert [p.name for p in paths] == list(NAMES)
    assert all(p.parent == folder for p in paths)
    return folder


@pytest.fixture(scope="module")
def mine(data) -> dict[str, pl.DataFrame]:
    """The demo seller's frames, feedback joined with the offer's fulfilment."""
    me = pl.col("seller_id") == demo.DEMO_SELLER_ID
    offers = data.offers.filter(me)
    feedback = data.feedback.filter(me).join(
        offers.select("sku", "fulfilment"), on="sku", how="left"
    )
    return {"offers": offers, "orders": data.orders.filter(me), "feedback": feedback}


def raw_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode(ENCODING.get(path.name, "utf-8-sig"))


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a tab-separated report as dicts; checks CRLF and the field count per line."""
    text = raw_text(path)
    assert text.endswith("\r\n"), path.name
    lines = text[: -len("\r\n")].split("\r\n")
    assert not any("\r" in line or "\n" in line for line in lines), path.name
    header = lines[0].split("\t")
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == len(header) for r in rows), path.name  # no stray tab in a field
    return [dict(zip(header, r, strict=True)) for r in rows]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def utc(text: str) -> datetime:
    """An ISO 8601 instant with an offset (or Z) as a naive UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def utc_us(text: str) -> datetime:
    """``Oct 3, 2026 7:53:55 PM PDT`` as a naive UTC datetime."""
    stamp, zone = text.rsplit(" ", 1)
    return datetime.strptime(stamp, "%b %d, %Y %I:%M:%S %p") - PACIFIC[zone]


def instants(frame: pl.DataFrame, column: str) -> Counter:
    return Counter((o, s, t) for o, s, t in frame.select("order_id", "sku", column).iter_rows())


def of_source(mine, source: str) -> pl.DataFrame:
    return mine["feedback"].filter(pl.col("source") == source)


# --- bytes -----------------------------------------------------------------------------
def test_files_encodings_and_line_ends(out) -> None:
    raw = {name: (out / name).read_bytes() for name in NAMES}
    assert raw["All-Orders-Report.txt"].startswith(codecs.BOM_UTF8)
    for name in NAMES[1:]:
        assert not raw[name].startswith(codecs.BOM_UTF8), name
    returns = raw["FBA-Customer-Returns.txt"]
    with pytest.raises(UnicodeDecodeError):
        returns.decode("utf-8")
    text = returns.decode("cp1252")
    assert any(ch in text for ch in "’–€…") and "é" in text
    settlement = raw["Settlement-V2.txt.gz"]
    assert settlement[:2] == b"\x1f\x8b"
    plain = {**raw, "Settlement-V2.txt.gz": gzip.decompress(settlement)}
    for name in NAMES[:-2]:
        body = plain[name]
        assert body.endswith(b"\r\n") and body.count(b"\n") == body.count(b"\r\n"), name
        assert body.count(b"\r") == body.count(b"\r\n"), name
    for name in ("All-Orders-Report.txt", "MFN-Returns.txt", "FBA-Replacements.txt",
                 "Seller-Feedback.txt", "reviews.csv"):  # fmt: skip
        plain[name].decode("utf-8")  # strict UTF-8
    assert "Montréal" in plain["All-Orders-Report.txt"].decode("utf-8-sig")


def test_headers_are_exactly_amazons(out) -> None:
    for name in NAMES:
        first = raw_text(out / name).split("\r\n", 1)[0]
        sep = "," if name.endswith(".csv") else "\t"
        assert first.split(sep) == HEADERS[name], name


def test_settlement_starts_with_the_summary_row(out) -> None:
    rows = read_tsv(out / "Settlement-V2.txt.gz")
    summary, body = rows[0], rows[1:]
    assert summary["transaction-type"] == "" and summary["order-id"] == ""
    assert summary["settlement-id"] and summary["currency"] == "CAD"
    for key in ("settlement-start-date", "settlement-end-date", "deposit-date"):
        utc(summary[key])
    total = round(sum(float(r["amount"]) for r in body), 2)
    assert float(summary["total-amount"]) == pytest.approx(total, abs=0.005)
    assert {r["transaction-type"] for r in body} == {"Order", "Refund"}
    assert all(r["settlement-id"] == summary["settlement-id"] for r in body)
    refunds = [r for r in body if r["transaction-type"] == "Refund"]
    assert all(float(r["amount"]) < 0 for r in refunds)
    assert {r["amount-description"] for r in refunds} == {"Principal", "Tax", "RefundCommission"}
    assert all(r["posted-date"] == r["posted-date-time"][:10] for r in body)


def test_writing_twice_gives_the_same_bytes(data, out, tmp_path) -> None:
    again = write_amazon_reports(data, tmp_path)
    for path in again:
        assert path.read_bytes() == (out / path.name).read_bytes(), path.name


def test_an_unknown_seller_is_refused(data, tmp_path) -> None:
    with pytest.raises(ValueError, match="S-NOBODY"):
        write_amazon_reports(data, tmp_path, seller_id="S-NOBODY")


# --- counts ----------------------------------------------------------------------------
def test_all_orders_has_every_line_plus_split_and_duplicated_rows(out, mine) -> None:
    rows = read_tsv(out / "All-Orders-Report.txt")
    lines = mine["orders"]
    keys = {(r["amazon-order-id"], r["sku"]) for r in rows}
    assert len(keys) == lines.height
    assert keys == set(lines.select("order_id", "sku").iter_rows())
    # Split lines: a cancelled unit beside the shipped line of the same order and SKU.
    by_key: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in rows:
        by_key.setdefault((r["amazon-order-id"], r["sku"]), []).append(r)
    split = [
        v for v in by_key.values() if {r["item-status"] for r in v} == {"Shipped", "Cancelled"}
    ]
    assert len(split) >= lines.filter(pl.col("status") == "shipped").height // 97
    for group in split:
        cancelled = [r for r in group if r["item-status"] == "Cancelled"]
        assert len(cancelled) == 1 and cancelled[0]["quantity"] == "1"
        assert {r["order-status"] for r in group} == {"Shipped"}
        assert len({r["purchase-date"] for r in group}) == 1
    exact = Counter("\t".join(r.values()) for r in rows)
    assert 1 <= sum(1 for c in exact.values() if c == 2) <= 2
    assert len(rows) == lines.height + len(split) + sum(c - 1 for c in exact.values())


def test_feedback_counts_per_report(out, mine) -> None:
    fba = read_tsv(out / "FBA-Customer-Returns.txt")
    units = Counter(tuple(v for k, v in r.items() if k != "license-plate-number") for r in fba)
    assert max(units.values()) == 2  # some events are written as two unit rows
    assert len({r["license-plate-number"] for r in fba}) == len(fba)
    mfn = read_tsv(out / "MFN-Returns.txt")
    returns = of_source(mine, "return")
    assert len(units) + len(mfn) == returns.height
    assert len(units) == returns.filter(pl.col("fulfilment") == "FBA").height
    refunds = of_source(mine, "refund")
    assert refunds.select("order_id", "sku").is_duplicated().sum() == 0
    settled = {
        (r["order-id"], r["sku"])
        for r in read_tsv(out / "Settlement-V2.txt.gz")
        if r["transaction-type"] == "Refund"
    }
    assert len(settled) == refunds.height
    assert len(read_tsv(out / "FBA-Replacements.txt")) == of_source(mine, "contact").height
    assert len(read_tsv(out / "Seller-Feedback.txt")) == of_source(mine, "seller_feedback").height
    assert len(read_csv(out / "reviews.csv")) == of_source(mine, "review").height


# --- values ----------------------------------------------------------------------------
def test_instants_are_exact(out, mine) -> None:
    orders = read_tsv(out / "All-Orders-Report.txt")
    first = {}
    for r in orders:
        first.setdefault((r["amazon-order-id"], r["sku"]), r)
        assert utc(r["last-updated-date"]) >= utc(r["purchase-date"])
        assert r["purchase-date"][-6:] in ("-07:00", "-08:00")
    assert Counter((o, s, utc(r["purchase-date"])) for (o, s), r in first.items()) == instants(
        mine["orders"], "purchase_date"
    )

    def check(rows, source, column, parse, frame=None) -> None:
        expected = instants(frame if frame is not None else of_source(mine, source), "event_date")
        order_col = next(c for c in ("order-id", "Order ID", "original-amazon-order-id",
                                     "order_id") if c in rows[0])  # fmt: skip
        sku_col = next(c for c in ("sku", "Merchant SKU") if c in rows[0])
        got = Counter((r[order_col], r[sku_col], parse(r[column])) for r in rows)
        assert got == expected, source

    fba = {tuple(v for k, v in r.items() if k != "license-plate-number"): r
           for r in read_tsv(out / "FBA-Customer-Returns.txt")}  # fmt: skip
    returns = of_source(mine, "return")
    check(list(fba.values()), "return", "return-date", utc,
          returns.filter(pl.col("fulfilment") == "FBA"))  # fmt: skip
    mfn = read_tsv(out / "MFN-Returns.txt")
    assert {r["Return request date"][-3:] for r in mfn} == {"PDT", "PST"}
    check(
        mfn, "return", "Return request date", utc_us, returns.filter(pl.col("fulfilment") == "MFN")
    )
    settlement = read_tsv(out / "Settlement-V2.txt.gz")
    refunds = {
        (r["order-id"], r["sku"]): r for r in settlement if r["transaction-type"] == "Refund"
    }
    check(list(refunds.values()), "refund", "posted-date-time", utc)
    check(read_tsv(out / "FBA-Replacements.txt"), "contact", "shipment-date", utc)
    reviews = [r for r in read_csv(out / "reviews.csv") if r["order_id"]]
    check(reviews, "review", "event_date", utc,
          of_source(mine, "review").filter(pl.col("order_id").is_not_null()))  # fmt: skip
    assert all(r["event_date"].endswith("Z") for r in read_csv(out / "reviews.csv"))
    feedback = read_tsv(out / "Seller-Feedback.txt")
    got = Counter((r["Bestellnummer"], datetime.strptime(r["Datum"], "%d.%m.%y").date())
                  for r in feedback)  # fmt: skip
    sf = of_source(mine, "seller_feedback")
    assert got == Counter(zip(sf["order_id"], sf["event_date"].dt.date(), strict=True))


def test_pacific_offsets_follow_daylight_saving(out) -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zone = zoneinfo.ZoneInfo("America/Los_Angeles")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time-zone database")
    for r in read_tsv(out / "All-Orders-Report.txt")[::50]:
        stamp = datetime.fromisoformat(r["purchase-date"])
        assert stamp.utcoffset() == stamp.astimezone(zone).utcoffset()
    for r in read_tsv(out / "MFN-Returns.txt"):
        instant = utc_us(r["Return request date"]).replace(tzinfo=UTC)
        assert instant.astimezone(zone).tzname() == r["Return request date"][-3:]


def test_pacific_time_changes_at_the_right_instants() -> None:
    """2026: PDT from 2026-03-08 10:00 UTC, PST again from 2026-11-01 09:00 UTC."""
    second = timedelta(seconds=1)
    edges = [datetime(2026, 3, 8, 10), datetime(2026, 11, 1, 9), datetime(2025, 11, 2, 9)]
    stamps = [t + d for t in edges for d in (-second, timedelta(0))]
    frame = pl.DataFrame({"t": stamps}, schema={"t": pl.Datetime("us")}).select(
        iso=demo_reports._iso_pacific(pl.col("t")), us=demo_reports._us_pacific(pl.col("t"))
    )
    assert frame["us"].to_list()[:2] == ["Mar 8, 2026 1:59:59 AM PST", "Mar 8, 2026 3:00:00 AM PDT"]
    assert frame["iso"].to_list()[2:4] == ["2026-11-01T01:59:59-07:00", "2026-11-01T01:00:00-08:00"]
    for stamp, iso, us in zip(stamps, frame["iso"], frame["us"], strict=True):
        assert utc(iso) == stamp and utc_us(us) == stamp


def test_any_seller_can_be_written(data, tmp_path) -> None:
    seller = "S-0001"
    paths = write_amazon_reports(data, tmp_path, seller_id=seller)
    orders = data.orders.filter(pl.col("seller_id") == seller)
    rows = read_tsv(paths[0])
    assert {(r["amazon-order-id"], r["sku"]) for r in rows} == set(
        orders.select("order_id", "sku").iter_rows()
    )
    feedback = data.feedback.filter(pl.col("seller_id") == seller)
    counts = Counter(feedback["source"])
    assert len(read_tsv(paths[4])) == counts["contact"]
    assert len(read_tsv(paths[5])) == counts["seller_feedback"]
    assert len(read_csv(paths[6])) == counts["review"]


def test_columns_carry_the_demo_values(out, mine) -> None:
    offers = {r["sku"]: r for r in mine["offers"].iter_rows(named=True)}
    lines = {(r["order_id"], r["sku"]): r for r in mine["orders"].iter_rows(named=True)}
    status = {"shipped": "Shipped", "pending": "Pending", "cancelled": "Cancelled"}
    seen = set()
    for r in read_tsv(out / "All-Orders-Report.txt"):
        key = (r["amazon-order-id"], r["sku"])
        line, offer = lines[key], offers[r["sku"]]
        assert r["asin"] == offer["asin"] and r["product-name"] == offer["title"]
        channel = {"FBA": "Amazon", "MFN": "Merchant"}[offer["fulfilment"]]
        assert (r["fulfillment-channel"], r["sales-channel"], r["currency"]) == (
            channel, "Amazon.ca", "CAD")  # fmt: skip
        if key in seen:
            continue
        seen.add(key)
        assert r["item-status"] == status[line["status"]]
        assert int(r["quantity"]) == line["quantity"]
        if r["item-price"] or line["status"] != "cancelled":
            assert float(r["item-price"]) == pytest.approx(offer["price"] * line["quantity"])
    returns = of_source(mine, "return")
    by_key = {(r["order_id"], r["sku"]): r for r in returns.iter_rows(named=True)}
    for r in read_tsv(out / "FBA-Customer-Returns.txt"):
        event = by_key[(r["order-id"], r["sku"])]
        assert r["reason"] == (event["reason_code"] or "")
        assert r["fulfillment-center-id"] == event["fulfilment_center"]
        assert r["fnsku"].startswith("X00") or r["fnsku"] == r["asin"]
        comment = event["comment"] or ""
        if event["reason_code"] in (None, "OTHER"):
            assert r["customer-comments"] == comment  # the text decides: unchanged
        else:
            assert r["customer-comments"].replace("’", "'").startswith(comment)
    for r in read_tsv(out / "MFN-Returns.txt"):
        code = by_key[(r["Order ID"], r["Merchant SKU"])]["reason_code"]
        expected = (
            "CR-OTHER" if code is None else code if code.startswith("AMZ-PG-") else f"CR-{code}"
        )
        assert r["Return Reason"] == expected
        assert themes.normalise_reason(r["Return Reason"]) == (code or "OTHER")
    contacts = {
        (r["order_id"], r["sku"]): r for r in of_source(mine, "contact").iter_rows(named=True)
    }
    for r in read_tsv(out / "FBA-Replacements.txt"):
        event = contacts[(r["original-amazon-order-id"], r["sku"])]
        assert r["replacement-reason-code"] == (event["reason_code"] or "0")
        assert r["original-fulfillment-center-id"] == event["fulfilment_center"]
        assert r["replacement-amazon-order-id"] not in lines
    reviews = {r["feedback_id"]: r for r in of_source(mine, "review").iter_rows(named=True)}
    for r in read_csv(out / "reviews.csv"):
        event = reviews[r["feedback_id"]]
        assert (r["sku"], r["source"], r["rating"]) == (
            event["sku"],
            "review",
            str(event["rating"]),
        )
        assert r["comment"] == (event["comment"] or "")
        assert r["order_id"] == (event["order_id"] or "")


def test_rater_emails_stay_in_their_column(out) -> None:
    feedback = read_tsv(out / "Seller-Feedback.txt")
    emails = {r["E-Mail-Adresse des Bewerters"] for r in feedback}
    assert len(emails) == len(feedback)
    assert all(e.endswith("@marketplace.amazon.ca") and len(e) > 25 for e in emails)
    for r in feedback:
        others = [v for k, v in r.items() if k != "E-Mail-Adresse des Bewerters"]
        assert not any("@" in v for v in others)
    for name in NAMES:
        if name != "Seller-Feedback.txt":
            assert "@marketplace" not in raw_text(out / name), name
    assert all(1 <= int(r["Bewertung"]) <= 5 for r in feedback)


# --- meaning ---------------------------------------------------------------------------
def ncx_orders(events: list[tuple[str, str | None, str, str | None, str | None, int | None]]):
    """(order id, SKU) of the orders with a counted event (docs/health.md)."""
    out = set()
    for source, order_id, sku, code, comment, rating in events:
        issue_type, _ = themes.classify(code, comment)
        if order_id and themes.counted(source, issue_type, rating)[0]:
            out.add((order_id, sku))
    return out


def test_files_give_the_same_orders_and_ncx_orders(out, mine) -> None:
    """Read back as an importer would (docs/amazon-reports.md), the files give the demo's
    orders (non-cancelled lines, earliest purchase) and the same NCX orders per SKU."""
    merged: dict[tuple[str, str], list[datetime]] = {}
    for r in read_tsv(out / "All-Orders-Report.txt"):
        times = merged.setdefault((r["amazon-order-id"], r["sku"]), [])
        if r["item-status"] != "Cancelled":
            times.append(utc(r["purchase-date"]))
    from_files = {k: min(v) for k, v in merged.items() if v}
    lines = mine["orders"].filter(pl.col("status") != "cancelled")
    assert from_files == {
        (o, s): t for o, s, t in lines.select("order_id", "sku", "purchase_date").iter_rows()
    }

    events = []
    for r in read_tsv(out / "FBA-Customer-Returns.txt"):
        events.append(("return", r["order-id"], r["sku"], r["reason"] or None,
                       r["customer-comments"] or None, None))  # fmt: skip
    for r in read_tsv(out / "MFN-Returns.txt"):
        events.append(("return", r["Order ID"], r["Merchant SKU"], r["Return Reason"], None, None))
    for r in read_tsv(out / "Settlement-V2.txt.gz"):
        if r["transaction-type"] == "Refund":
            events.append(("refund", r["order-id"], r["sku"], None, None, None))
    for r in read_tsv(out / "FBA-Replacements.txt"):
        events.append(("contact", r["original-amazon-order-id"], r["sku"],
                       r["replacement-reason-code"], None, None))  # fmt: skip
    for r in read_tsv(out / "Seller-Feedback.txt"):
        events.append(("seller_feedback", r["Bestellnummer"], None, None, r["Kommentare"],
                       int(r["Bewertung"])))  # fmt: skip
    for r in read_csv(out / "reviews.csv"):
        events.append(("review", r["order_id"] or None, r["sku"], r["reason_code"] or None,
                       r["comment"], int(r["rating"])))  # fmt: skip
    fb = mine["feedback"]
    demo_events = list(
        fb.select("source", "order_id", "sku", "reason_code", "comment", "rating").iter_rows()
    )
    expected = ncx_orders(demo_events)
    assert len(expected) > 3_000
    assert ncx_orders(events) == expected
    # Reviews without an order count by day, not by order: they are all in reviews.csv.
    no_order = fb.filter(pl.col("order_id").is_null())
    assert set(no_order["source"].unique()) == {"review"}


# --- the demo generates only what the reports can say -----------------------------------
def test_demo_events_are_expressible_in_the_reports(data) -> None:
    fb = data.feedback.join(
        data.offers.select("seller_id", "sku", "fulfilment"), on=["seller_id", "sku"]
    )
    refunds = fb.filter(pl.col("source") == "refund")
    assert refunds.height > 0
    assert refunds["comment"].null_count() == refunds["reason_code"].null_count() == refunds.height
    contacts = fb.filter(pl.col("source") == "contact")
    assert contacts.height > 0 and (contacts["fulfilment"] == "FBA").all()
    mfn = fb.filter((pl.col("source") == "return") & (pl.col("fulfilment") == "MFN"))
    assert mfn.height > 0 and mfn["comment"].null_count() == mfn.height
    assert (fb["event_date"].dt.microsecond() == 0).all()  # whole seconds, as reports write
    # Whatever the text said, the code alone must decide every event that does not count.
    for source, code, comment, rating in (
        fb.filter(pl.col("source").is_in(["refund", "contact"]) | (pl.col("fulfilment") == "MFN"))
        .filter(pl.col("source") != "review")
        .select("source", "reason_code", "comment", "rating")
        .iter_rows()
    ):
        with_text = themes.counted(source, themes.classify(code, comment)[0], rating)[0]
        code_only = themes.counted(source, themes.classify(code or "0", None)[0], rating)[0]
        assert with_text == code_only, (source, code, comment)

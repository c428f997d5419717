"""The comments grid's rows: every event shows its theme and what decided it."""

from datetime import date, datetime

import polars as pl

from layouts.grid import COMMENT_COLUMNS, comment_rows, decided_words


def test_decided_words_name_the_code_or_quote_the_phrase():
    assert decided_words("reason_code:DEFECTIVE") == "Reason code DEFECTIVE"
    assert decided_words("reason_code:10") == "Reason code 10"
    assert decided_words("phrase:arrived broken") == "\u201carrived broken\u201d"
    assert decided_words(None) == "Nothing matched"


def _event(**overrides) -> dict:
    row = {
        "feedback_id": "f1",
        "seller_id": "s1",
        "sku": "SKU-1",
        "order_id": "o1",
        "event_day": date(2026, 5, 1),
        "event_date": datetime(2026, 5, 1, 10),
        "source": "return",
        "reason_code": None,
        "issue_type": "product",
        "theme": "damaged",
        "decided_by": "phrase:=cmd|' /c calc'!a0 <b>arrivé brisé</b>",
        "rating": None,
        "comment": "<b>arrivé brisé</b>",
        "counted": True,
        "not_counted_reason": None,
        "sold_by_seller": True,
        "fulfilment_center": None,
    }
    return row | overrides


def test_comment_rows_carry_the_theme_and_what_decided_it_as_plain_text():
    frame = pl.DataFrame(
        [_event(), _event(feedback_id="f2", reason_code="DEFECTIVE", theme="defective",
                          decided_by="reason_code:DEFECTIVE"),
         _event(feedback_id="f3", theme="other", issue_type="unknown", decided_by=None,
                comment="meh", counted=False, not_counted_reason=None)]
    )  # fmt: skip
    rows = {r["id"]: r for r in comment_rows(frame)}
    assert rows["f1"]["theme"] == "Damaged"
    # the matched text passes through untouched: the grid shows it as text
    assert rows["f1"]["decided_by"] == "\u201c=cmd|' /c calc'!a0 <b>arrivé brisé</b>\u201d"
    assert rows["f2"]["decided_by"] == "Reason code DEFECTIVE"
    assert rows["f3"]["decided_by"] == "Nothing matched"
    fields = [c["field"] for c in COMMENT_COLUMNS]
    assert fields.index("decided_by") == fields.index("theme") + 1
    assert not any(c.get("cellRenderer") for c in COMMENT_COLUMNS if c["field"] == "decided_by")

"""Suggested remedies for the themes of an offer's counted feedback (guidance text only)."""

from __future__ import annotations

LISTING_THEMES = frozenset({"not_as_described", "size_fit", "compatibility"})
PRODUCT_THEMES = frozenset(
    {"defective", "damaged", "quality", "missing_parts", "wrong_item", "expired_or_used"}
)

_SPECIFIC = {
    "not_as_described": "Compare the detail page (title, bullets, images, dimensions) with the unit "
    "customers received and correct whatever differs.",
    "size_fit": "Add a size chart and exact measurements to the detail page; say whether it runs small or large.",
    "compatibility": "List exactly which models it fits (and which it does not) in the title and bullets.",
    "defective": "Inspect units from the same batch; if they fail, remove or dispose of the stock and "
    "raise it with your supplier.",
    "damaged": "Check how units are packed and prepped; inspect stock for damage and dispose of damaged units.",
    "quality": "Inspect units against your quality standard; consider changing supplier if the material "
    "or finish falls short.",
    "missing_parts": "Check that every box contains all parts listed on the detail page; fix the packing list.",
    "wrong_item": "Check for mislabelled stock (wrong barcode/FNSKU on the unit) and relabel or remove it.",
    "expired_or_used": "Check expiry dates and seals of the stock; remove expired or opened units.",
}


def remedies(themes: list[str], fulfilment: str | None) -> list[str]:
    """Guidance for the given themes (most frequent first), one line each, de-duplicated.

    Listing themes: edit the detail page. Product themes: inspect, remove or dispose of
    stock; for FBA offers, through a removal order.
    """
    out: list[str] = []
    for theme in themes:
        text = _SPECIFIC.get(theme)
        if text and text not in out:
            out.append(text)
    if any(t in LISTING_THEMES for t in themes):
        out.append(
            "Listing problems are fixed by editing the detail page; then watch the trend for the "
            "weeks after the edit."
        )
    if any(t in PRODUCT_THEMES for t in themes):
        if (fulfilment or "").upper() == "FBA":
            out.append(
                "For FBA stock, create a removal order (return to you or dispose) for the affected "
                "units in the fulfilment centre."
            )
        else:
            out.append(
                "Inspect the stock you hold and set aside or dispose of affected units before "
                "shipping more."
            )
    if not out:
        out.append(
            "Read the comments below for what customers reported; no specific remedy applies."
        )
    return out

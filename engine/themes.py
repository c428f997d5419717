"""Event classification (docs/health.md): issue type, theme and whether an event counts.

Two engines implement the same rules and must agree row by row:

- :func:`classify` and :func:`counted`, the Python reference, used by tests and small tools;
- ``engine/sql/classify.sql``, used to build the derived ``events`` table in DuckDB.

Both read the same data: :data:`REASON_CODES`, :data:`REPLACEMENT_CODES` and the phrase
:data:`LEXICON`, whose rules :func:`theme_patterns` turns into one RE2 regex each. Python
compiles the very same strings with ``re`` and ``re.ASCII`` (both engines then agree on
``\\b``, case folding and separators; see ``_phrase_regex``).

The lexicon is meant to be read: each :class:`ThemeRule` lists plain phrases in a tiny
syntax (``'`` an optional apostrophe of any kind, a space or ``-`` any run of whitespace or
hyphens, ``(a|b)`` alternatives, ``x?`` optional, a trailing ``*`` a word prefix). Rules are
tried in priority order and the first whose regex matches anywhere in the comment wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

ISSUE_TYPES: tuple[str, ...] = ("product", "listing", "delivery", "remorse", "unknown")
THEMES: tuple[str, ...] = (
    "defective",
    "damaged",
    "quality",
    "missing_parts",
    "wrong_item",
    "not_as_described",
    "size_fit",
    "compatibility",
    "expired_or_used",
    "delivery",
    "remorse",
    "other",
)
THEME_LABELS: dict[str, str] = {
    "defective": "Defective",
    "damaged": "Damaged",
    "quality": "Quality",
    "missing_parts": "Missing parts",
    "wrong_item": "Wrong item",
    "not_as_described": "Not as described",
    "size_fit": "Size / fit",
    "compatibility": "Compatibility",
    "expired_or_used": "Expired or used",
    "delivery": "Delivery",
    "remorse": "Buyer's remorse",
    "other": "Other",
}
# The issue type every theme belongs to; a rule or a reason code never pairs them otherwise.
THEME_ISSUE_TYPES: dict[str, str] = {
    "defective": "product",
    "damaged": "product",
    "quality": "product",
    "missing_parts": "product",
    "wrong_item": "product",
    "expired_or_used": "product",
    "not_as_described": "listing",
    "size_fit": "listing",
    "compatibility": "listing",
    "delivery": "delivery",
    "remorse": "remorse",
    "other": "unknown",
}
SOURCES: tuple[str, ...] = ("return", "refund", "contact", "review", "seller_feedback")
NOT_COUNTED_REASONS: tuple[str, ...] = ("delivery", "remorse", "not one-star", "seller feedback")
UNCLASSIFIED: tuple[str, str] = ("unknown", "other")


def _codes(issue_type: str, theme: str, *codes: str) -> dict[str, tuple[str, str]]:
    return dict.fromkeys(codes, (issue_type, theme))


# Marketplace reason codes (docs/amazon-reports.md), already normalised (see normalise_reason).
# OTHER, UNKNOWN_OTHER_REASON, EXCESSIVE_INSTALLATION and any code not listed here leave
# the decision to the comment text.
REASON_CODES: dict[str, tuple[str, str]] = {
    **_codes("product", "defective", "DEFECTIVE", "WARRANTY", "JEWELRY_BATTERY"),
    **_codes(
        "product", "quality", "QUALITY_UNACCEPTABLE", "JEWELRY_BAD_CLASP", "JEWELRY_LOOSE_STONE"
    ),
    **_codes("product", "missing_parts", "MISSING_PARTS"),
    **_codes("product", "damaged", "DAMAGED_BY_FC"),
    **_codes("product", "wrong_item", "SWITCHEROO"),
    **_codes(
        "listing",
        "not_as_described",
        "NOT_AS_DESCRIBED",
        "AMZ-PG-BAD-DESC",
        "JEWELRY_NO_DOCS",
        "JEWELRY_NO_CERT",
        "PRODUCT_NOT_SPANISH",
        "PRODUCT_NOT_ITALIAN",
    ),
    **_codes(
        "listing",
        "size_fit",
        "APPAREL_TOO_SMALL",
        "APPAREL_TOO_LARGE",
        "AMZ-PG-APP-TOO-SMALL",
        "AMZ-PG-APP-TOO-LARGE",
        "JEWELRY_TOO_SMALL",
        "JEWELRY_TOO_LARGE",
        "POOR_FIT",
    ),
    **_codes("listing", "compatibility", "NOT_COMPATIBLE", "PART_NOT_COMPATIBLE"),
    **_codes(
        "delivery",
        "delivery",
        "DAMAGED_BY_CARRIER",
        "MISSED_ESTIMATED_DELIVERY",
        "NEVER_ARRIVED",
        "EXTRA_ITEM",
    ),
    **_codes(
        "remorse",
        "remorse",
        "UNWANTED_ITEM",
        "ORDERED_WRONG_ITEM",
        "MISORDERED",
        "FOUND_BETTER_PRICE",
        "NO_REASON_GIVEN",
        "UNAUTHORIZED_PURCHASE",
        "APPAREL_STYLE",
        "AMZ-PG-APP-STYLE",
        "DID_NOT_LIKE_COLOR",
        "DID_NOT_LIKE_FABRIC",
    ),
}
# Codes matched by prefix (UNDELIVERABLE_REFUSED, UNDELIVERABLE_UNKNOWN_ADDRESS, ...). In the
# reason_map table a prefix is stored as the prefix followed by "*".
REASON_CODE_PREFIXES: dict[str, tuple[str, str]] = {"UNDELIVERABLE_": ("delivery", "delivery")}
# Codes that are known but deliberately decided by the comment text.
TEXT_DECIDED_CODES: frozenset[str] = frozenset(
    {"OTHER", "UNKNOWN_OTHER_REASON", "EXCESSIVE_INSTALLATION"}
)
# FBA replacement reason codes (docs/amazon-reports.md); None = decided by the comment text.
# Replacement events (source "contact") carry the number as their reason_code, e.g. "2".
REPLACEMENT_CODES: dict[int, tuple[str, str] | None] = {
    0: None,
    1: ("delivery", "delivery"),
    2: ("product", "defective"),
    3: ("delivery", "delivery"),
    4: ("product", "wrong_item"),
    5: ("delivery", "delivery"),
    6: ("delivery", "delivery"),
    7: ("listing", "not_as_described"),
    8: ("delivery", "delivery"),
    9: ("delivery", "delivery"),
    10: ("product", "damaged"),
    11: ("delivery", "delivery"),
    12: ("remorse", "remorse"),
}

# Reason codes in words, as the page, the downloads and the report show them.
REASON_WORDS: dict[str, str] = {
    "DEFECTIVE": "Defective",
    "WARRANTY": "Warranty claim",
    "JEWELRY_BATTERY": "Battery dead (jewellery)",
    "QUALITY_UNACCEPTABLE": "Quality unacceptable",
    "JEWELRY_BAD_CLASP": "Bad clasp (jewellery)",
    "JEWELRY_LOOSE_STONE": "Loose stone (jewellery)",
    "MISSING_PARTS": "Missing parts",
    "DAMAGED_BY_FC": "Damaged in the fulfilment centre",
    "SWITCHEROO": "Wrong item sent",
    "NOT_AS_DESCRIBED": "Not as described",
    "AMZ-PG-BAD-DESC": "Not as described",
    "JEWELRY_NO_DOCS": "Documents missing (jewellery)",
    "JEWELRY_NO_CERT": "Certificate missing (jewellery)",
    "PRODUCT_NOT_SPANISH": "Product not in Spanish",
    "PRODUCT_NOT_ITALIAN": "Product not in Italian",
    "APPAREL_TOO_SMALL": "Too small",
    "APPAREL_TOO_LARGE": "Too large",
    "AMZ-PG-APP-TOO-SMALL": "Too small",
    "AMZ-PG-APP-TOO-LARGE": "Too large",
    "JEWELRY_TOO_SMALL": "Too small (jewellery)",
    "JEWELRY_TOO_LARGE": "Too large (jewellery)",
    "POOR_FIT": "Poor fit",
    "NOT_COMPATIBLE": "Not compatible",
    "PART_NOT_COMPATIBLE": "Part not compatible",
    "DAMAGED_BY_CARRIER": "Damaged by the carrier",
    "MISSED_ESTIMATED_DELIVERY": "Arrived late",
    "NEVER_ARRIVED": "Never arrived",
    "EXTRA_ITEM": "Extra item received",
    "UNWANTED_ITEM": "No longer wanted",
    "ORDERED_WRONG_ITEM": "Ordered the wrong item",
    "MISORDERED": "Ordered by mistake",
    "FOUND_BETTER_PRICE": "Found a better price",
    "NO_REASON_GIVEN": "No reason given",
    "UNAUTHORIZED_PURCHASE": "Purchase not authorised",
    "APPAREL_STYLE": "Did not like the style",
    "AMZ-PG-APP-STYLE": "Did not like the style",
    "DID_NOT_LIKE_COLOR": "Did not like the colour",
    "DID_NOT_LIKE_FABRIC": "Did not like the fabric",
    "OTHER": "Other",
    "UNKNOWN_OTHER_REASON": "Other",
    "EXCESSIVE_INSTALLATION": "Installation too difficult",
}
REASON_PREFIX_WORDS: dict[str, str] = {"UNDELIVERABLE_": "Undeliverable"}
# FBA replacement reason codes 0 to 12 (docs/amazon-reports.md).
REPLACEMENT_WORDS: dict[int, str] = {
    0: "Other",
    1: "Lost",
    2: "Defective",
    3: "Damaged in shipping",
    4: "Wrong item shipped",
    5: "Item missing from the shipment",
    6: "Lost by the carrier",
    7: "Catalogue error",
    8: "Wrong address",
    9: "Delivery problem",
    10: "Damaged in the fulfilment centre",
    11: "Not received",
    12: "Customer error",
}


def reason_words(code: str | None) -> str:
    """A reason code as words: ``FOUND_BETTER_PRICE`` -> "Found a better price",
    replacement code ``"2"`` -> "Replacement: defective". A code the tables do not know is
    shown as it came, its underscores as spaces; no code is "—"."""
    key = normalise_reason(code)
    if key is None:
        return "—"
    if key in REASON_WORDS:
        return REASON_WORDS[key]
    for prefix, word in REASON_PREFIX_WORDS.items():
        if key.startswith(prefix):
            rest = key[len(prefix) :].replace("_", " ").lower()
            return f"{word}: {rest}" if rest else word
    if key.isascii() and key.isdigit() and int(key) in REPLACEMENT_WORDS:
        return f"Replacement: {REPLACEMENT_WORDS[int(key)].lower()}"
    return code.strip().replace("_", " ")


# What normalise_reason strips: ASCII whitespace and the no-break space, nothing else, so
# that the SQL (trim with the same characters) agrees exactly.
_CODE_SPACE = " \t\n\v\f\r\xa0"
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise_reason(code: str | None) -> str | None:
    """A reason code as the tables key it, or None for no code.

    Strips surrounding whitespace, upper-cases ASCII letters, drops one leading ``CR-``
    (merchant-fulfilled returns) and strips again; an empty result is None.
    ``" cr-defective "`` -> ``"DEFECTIVE"``.
    """
    if code is None:
        return None
    text = code.strip(_CODE_SPACE).translate(_ASCII_UPPER)
    if text.startswith("CR-"):
        text = text[3:]
    text = text.strip(_CODE_SPACE)
    return text or None


def reason_classification(code: str | None) -> tuple[str, str] | None:
    """(issue_type, theme) decided by a raw reason code, or None when the text decides.

    Accepts any raw code (it is normalised first): marketplace codes, ``UNDELIVERABLE_*``
    prefixes and FBA replacement numbers ("0" to "12").
    """
    key = normalise_reason(code)
    if key is None:
        return None
    for prefix, found in REASON_CODE_PREFIXES.items():
        if key.startswith(prefix):
            return found
    if key in REASON_CODES:
        return REASON_CODES[key]
    if key.isascii() and key.isdigit() and str(int(key)) == key:
        return REPLACEMENT_CODES.get(int(key))
    return None


def is_known_reason(code: str | None) -> bool:
    """Whether a raw reason code is one the tables know (decided by it, or known to leave
    the decision to the comment, like OTHER or replacement code 0). An unknown code is
    decided by the comment too, but an importer warns about it."""
    key = normalise_reason(code)
    if key is None or key in TEXT_DECIDED_CODES:
        return True
    if reason_classification(key) is not None:
        return True
    return key.isascii() and key.isdigit() and int(key) in REPLACEMENT_CODES


def reason_map_rows() -> list[tuple[str, str, str]]:
    """Rows (code, issue_type, theme) of the reason_map table, prefixes as ``PREFIX*``."""
    rows = [(code, it, theme) for code, (it, theme) in REASON_CODES.items()]
    rows += [(prefix + "*", it, theme) for prefix, (it, theme) in REASON_CODE_PREFIXES.items()]
    rows += [(str(n), *found) for n, found in REPLACEMENT_CODES.items() if found is not None]
    return rows


# ---------------------------------------------------------------------------------------
# The phrase lexicon
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeRule:
    """Phrases that put a comment in ``theme``; ``note`` says why the rule sits where it does."""

    theme: str
    issue_type: str
    phrases: tuple[str, ...]
    note: str = ""


_SHIPPING = "(shipping|shipment|transit|delivery|the mail|the post|postage|transport|handling)"
_CARRIER = (
    "(the )?(carrier|courier|driver|delivery (driver|guy|man|person|company|service)|mailman"
    "|mail carrier|postman|postie|post office|postal service|ups|fedex|usps|dhl|royal mail"
    "|evri|hermes|dpd|yodel|canada post|amazon driver|shipping company)"
)
_PARCEL = (
    "(box|boxes|package|parcel|packaging|shipping box|outer box|carton|envelope|mailer"
    "|shipping container)"
)
_HARM = (
    "(broken|damaged|cracked|shattered|smashed|dented|scratched|chipped|bent|torn|ripped"
    "|busted|destroyed|crushed|leaking|leaked)"
)
_PARTS = (
    "(part|parts|piece|pieces|peices|screw|screws|bolt|bolts|nut|nuts|washer|washers"
    "|hardware|component|components|accessory|accessories|instructions|instruction manual"
    "|manual|battery|batteries|cable|cord|charger|power cord|power supply|adapter|lid|cap"
    "|cover|remote|key|keys|bracket|brackets|handle|base|leg|legs|wheel|wheels|hose|filter"
    "|strap|straps|stand|mount|attachment|attachments|plug|tool|tools|allen key|hinge)"
)
_NOT = (
    "(doesn't|does not|dosen't|dose not|dosent|didn't|did not|don't|do not|won't|will not"
    "|wouldn't|would not|can't|cannot|can not|couldn't|could not|never)"
)
_BODY = (
    "(me|him|her|us|them|my (feet|foot|head|waist|hips|legs|leg|arms|arm|wrist|wrists|hand"
    "|hands|finger|fingers|chest|body|neck|shoulders|calves|thighs|bust|baby|son|daughter|kid"
    "|kids|child|toddler|husband|wife|partner|dog|cat|puppy|ears))"
)
_LISTING = (
    "(picture|pictures|photo|photos|image|images|description|listing|ad|advert|advertisement"
    "|advertised|pictured|described|shown|listed|stated|depicted|product page)"
)

LEXICON: tuple[ThemeRule, ...] = (
    ThemeRule(
        "delivery",
        "delivery",
        (
            f"(damaged|broken|broke|cracked|smashed|crushed|dented|shattered|destroyed|ruined"
            f"|mangled) (in|during|while in|while being|from) {_SHIPPING}",
            "(damaged|broken|broke|cracked|smashed|crushed|dented) while being (shipped|delivered)",
            "(shipping|shipment|transit|delivery|courier|carrier|postal) damage",
            f"(damaged|crushed|smashed|broken|destroyed|mangled|dented|thrown|dropped|kicked"
            f"|ruined|torn open|ripped open|mishandled) by {_CARRIER}",
            "(carrier|courier|driver|mailman|postman|postie|ups|fedex|usps|dhl|dpd) (clearly "
            "|obviously |must have |had )?(damaged|crushed|smashed|broke|destroyed|threw|thrown"
            "|dropped|kicked|ran over|tossed|mishandled)",
            f"{_PARCEL} (was|were|arrived|came|is|got|had been) (badly |completely |all |totally"
            f" |very |soaking |really )?(damaged|crushed|smashed|dented|torn|ripped|wet|soaked"
            f"|soggy|destroyed|mangled|busted|torn open|ripped open|caved in|squashed|beaten up"
            f"|battered|falling apart)",
            "(crushed|damaged|smashed|torn|wet|soaked|soggy|destroyed|mangled|ripped|battered"
            "|squashed|dented) (outer )?(box|package|parcel|packaging|carton|envelope|mailer)",
            "(mishandled|rough handling|roughly handled) (by|in|during)",
            "(thrown|tossed|dropped|chucked) (over|onto) (the|my|our) (fence|gate|wall|balcony)",
            "(crushed|smashed|damaged) in the (mail|post|van|truck)",
            "(damaged|broken|crushed) (en route|in the mail|in the post)",
            "(destroyed|ruined) (in|by) (transit|shipping|the post|the mail)",
            "box (was )?(crushed|smashed) in",
            "courier (damaged|crushed|destroyed|broke)",
        ),
        "Damage the customer blames on the carrier: before 'damaged' so that 'damaged in "
        "shipping' is delivery, while 'arrived broken' stays a product problem.",
    ),
    ThemeRule(
        "damaged",
        "product",
        (
            f"(arrived|arrives|came|comes|received|recieved|delivered|showed up|turned up)"
            f"( it| them| the item| the product| mine| my order| my item)?( already| badly"
            f"| completely| all)? {_HARM}",
            "(arrived|came|received|recieved|delivered|showed up|turned up) (in pieces|in bits"
            "|in two pieces|in two|in half|with (a )?(crack|cracks|dent|dents|scratch|scratches"
            "|chip|chips|hole|holes|tear|tears|big dent|big crack|damage))",
            "(broken|damaged|cracked|shattered|smashed|dented|scratched|chipped|bent|torn)"
            " (on|upon|at) (arrival|delivery|receipt|opening|unboxing)",
            "(broken|damaged|cracked|shattered|smashed|dented|scratched|chipped|bent|torn)"
            " (when|as soon as|once|after) (i|we) (opened|received|got|unboxed|took)",
            "(broken|damaged|cracked|shattered|smashed|dented|scratched|chipped|bent|torn)"
            " (when|as) it (arrived|came|was delivered)",
            "(broken|damaged|cracked|shattered|smashed|dented|scratched|chipped|bent|torn)"
            " (straight |right )?(out of|in|inside) the (box|package|packaging|bag)",
            "(damaged|broken) (item|product|goods|unit|stock)",
            "(item|product|unit|goods|it) (was|is|were|are) (damaged|smashed|shattered) (when"
            "|on|upon|inside|in the box)",
            "(broken|shattered|smashed|cracked) (glass|screen|lid|mirror) (on|when|upon|inside)",
            "was (broken|smashed|shattered|cracked) in (pieces|half|two)",
            "inside (was|were) (smashed|shattered|broken|crushed|cracked)",
            "shattered",
            "smashed",
            "in pieces",
            "damaged stock",
        ),
        "Damage found on arrival: before 'missing parts', 'wrong item' and 'defective'.",
    ),
    ThemeRule(
        "missing_parts",
        "product",
        (
            f"missing {_PARTS}",
            "(missing|mising|missed) (parts|pieces|peices|screws|hardware|components)",
            f"{_PARTS} (is|are|was|were|went) missing",
            "(parts|pieces|peices|screws|bolts|hardware|components|accessories) missing",
            "missing (the|a|an|one|two|some|several|its|their|all the|both|half the|half|any)",
            "(was|were|is|are) missing (a|an|the|one|two|some|several|its|their|parts|pieces"
            "|screws)",
            "missing (one|two|some|several|a few|half) of the",
            "only (one|1|two|2|three|3|half) (in|of) the (box|package|pack|set|bag)",
            "only (got|received|recieved|came with|had|contained|included|includes|contains"
            "|comes with) (one|1|two|2|three|3|four|4|five|5|half)",
            "only (one|1) (came|arrived|was) in",
            "only (got|received|recieved) (part|half|some) of",
            "(incomplete|not complete|wasn't complete|was not complete)",
            "not all (the )?(parts|pieces|screws|hardware|components|items)",
            f"{_NOT} (come|arrive|ship) with (the |a |an |any |all the )?{_PARTS}",
            "(came|comes|arrived|arrives|shipped|delivered) without (the |a |an |any )?",
            f"no {_PARTS} (in|included|inside|came|were|was|at all)",
            "no (screws|hardware|instructions|manual|bolts|allen key)",
            "(not|wasn't|weren't|was not|were not) included",
            "half the (parts|pieces|hardware|screws|set)",
            "(pieces|parts) (are|were) not there",
        ),
        "Missing pieces: before 'defective' because 'missing the cable, so it doesn't work' "
        "names the cause.",
    ),
    ThemeRule(
        "remorse",
        "remorse",
        (
            "(i|we|i've|we've|accidentally|accidently|mistakenly) (ordered|bought|purchased"
            "|chose|picked|selected|clicked) (the )?(wrong|incorrect)",
            "(ordered|bought|purchased|chose|picked|selected|clicked) (the |a |an )?(wrong"
            "|incorrect) (size|item|model|colour|color|one|product|part|version|style|type)",
            "(ordered|bought|purchased|clicked|selected|placed)( it| this| one| two| 2| the item"
            "| an extra| the order| a second| twice)? (by mistake|in error|accidentally"
            "|accidently|by accident)",
            "(accidentally|accidently|mistakenly|inadvertently) (ordered|bought|purchased"
            "|clicked|selected|placed|got)",
            "ordered (it )?(twice|one too many|too many)",
            "(duplicate order|double ordered|ordered a duplicate)",
            "wrong size ordered",
            "(meant|intended) to (order|buy) (a|an|the)",
            "(my|our) (mistake|error|fault) (when |while )?(ordering|i ordered|we ordered)",
            "(ordering|order) (mistake|error) on my",
        ),
        "The buyer's own ordering mistake: before 'wrong item' and 'size / fit', because "
        "'ordered the wrong size' is remorse while 'sent the wrong size' is a wrong item.",
    ),
    ThemeRule(
        "wrong_item",
        "product",
        (
            "wrong (item|items|product|products|model|colour|color|colours|colors|style"
            "|version|edition|book|thing|pattern|flavour|flavor|scent|design|variant|type"
            "|brand|quantity|count|pack|set|part|kind|title|shade|print|one|order|article"
            "|goods|size sent|size was sent|package)",
            "(sent|send|shipped|ship|received|recieved|receive|got|delivered|gave|given|supplied"
            "|packed) (me |us |him |her )?(the |a |an )?(wrong|incorrect)",
            "(sent|shipped|received|recieved|got|delivered|gave|given|supplied) (me |us )?(a |an"
            " |the )?(completely |totally |entirely )?(different|another|other) (item|product"
            "|colour|color|model|style|brand|size|one|thing|book|version|type|design|pattern"
            "|flavour|flavor|scent|variant|part)",
            "received (a|an) (completely |totally )?different",
            "not what (i|we) (ordered|purchased|bought|paid for|selected|chose)",
            "(isn't|is not|wasn't|was not|aren't|are not) what (i|we) (ordered|purchased|bought)",
            "not the (item|product|one|colour|color|model|size|brand|book|style|thing|version"
            "|part|set) (i|we) (ordered|purchased|bought|selected|chose|paid for)",
            "(completely|totally|entirely) different (item|product|thing|model|brand)",
            "different (item|product|brand|model) (than|from|to|then) (what )?(i|we) (ordered"
            "|purchased|bought)",
            "(someone|somebody) else's (order|item|package|parcel|product)",
            "mis label*",
            "mislabel*",
            "(wrong|incorrect) (label|labels|labelling|labeling|barcode)",
            "label(l)?ed (wrong|wrongly|incorrectly)",
            "(contents|content|item|product) (did not|didn't|does not|doesn't) match the (box"
            "|label|packaging|order|barcode)",
            "(barcode|label) (doesn't|does not|didn't|did not) (even )?match",
            "switcheroo",
            "(item|product|items) (was|were) swapped",
        ),
        "The seller sent something other than what was ordered.",
    ),
    ThemeRule(
        "size_fit",
        "listing",
        (
            "too (small|big|large|tight|loose|narrow|wide|snug|baggy|tiny|short)",
            "(is|are|was|were|it's|they're|sleeves|sleeve|legs|arms|pants|trousers|length"
            "|hem|inseam|fit|fits|runs|run) (way |much |far |a bit |a little |slightly )?too long",
            "too long (for|in|on) (me|my|him|her)",
            "(runs|ran|run|running|fits|fit) (very |really |quite |super |extremely |a bit |a "
            "little |slightly |way )?(small|large|big|tight|snug|narrow|short|long|wide|loose)",
            "(runs|ran|run|running) (a |one |half a |a half |a full )?size (small|large|big"
            "|smaller|larger|bigger|up|down)",
            "(runs|ran|run|running) (at least |about )?(a |one |two |half a )?sizes? (too )?"
            "(small|large|big|smaller|larger|bigger)",
            "size (up|down)",
            "(order|ordering|get|buy) (a |one |two )?sizes? (up|down|bigger|smaller|larger)",
            "(one|a|two|half a|half) sizes? (too )?(small|big|large|smaller|bigger|larger)",
            "(size|sizing) (chart|guide|table)",
            "(size|sizing|sizes) (is|was|are|were) (way |completely |totally |all |a bit )?(off"
            "|wrong|inaccurate|incorrect|inconsistent|weird|strange|terrible|not right|way off)",
            "(wrong|incorrect|inconsistent|bad|terrible) (size|sizing)",
            "(not|isn't|is not|wasn't|was not|aren't|are not|don't fit|doesn't fit) true to size",
            "(poor|bad|terrible|awful|weird|strange|odd|horrible|uncomfortable) fit",
            "(fit|fitting) (is|was) (off|terrible|awful|weird|strange|bad|poor|wrong|horrible"
            "|odd|not right)",
            "fits (weird|weirdly|strange|strangely|odd|oddly|terrible|terribly|awful|poorly"
            "|badly|funny)",
            f"{_NOT} fit {_BODY}",
            f"{_NOT} (fit|fits) (properly|well|right|correctly|at all|comfortably)",
            "(could not|couldn't|can't|cannot|can not|won't|wouldn't|would not) (get|put|pull)"
            " (it|them) (on|over)",
            "(could not|couldn't|can't|cannot|can not|won't|wouldn't|would not) (zip|button)",
            "(smaller|bigger|larger|tighter|looser|narrower|wider) than (expected|normal|usual"
            "|my usual|i expected|anticipated|standard|other brands|my other)",
            "not (the )?(right|correct) size",
            "(doesn't|does not|didn't|did not) (fit|fits) (as expected|like|the same)",
        ),
        "Size and fit claims of the listing: before 'compatibility', whose generic "
        "'doesn't fit my ...' would otherwise take 'doesn't fit my feet'.",
    ),
    ThemeRule(
        "compatibility",
        "listing",
        (
            "not (fully |really |actually |even |100 )?(compatible|compatable|compatiable)",
            "(isn't|wasn't|aren't|weren't|is not|was not|are not|were not|no longer|never)"
            " (fully |really |actually )?(compatible|compatable|compatiable)",
            "(incompatible|incompatable|uncompatible)",
            "compatibility (issue|issues|problem|problems|list|chart)",
            "(says|said|claims|claimed|listed as|advertised as|supposed to be|stated) (it's |it"
            " is |it was |to be )?(compatible|compatable)",
            f"{_NOT} (fit|work with|work on|work in|fit in|fit on|fit into|go in|go on|go into"
            f"|connect to|connect with|pair with|plug into|mount on|attach to|screw into|slot"
            f" into) (my|our)",
            f"{_NOT} (work|fit) (with|on|in) (the|any|this|a|an) (car|phone|printer|vehicle"
            f"|model|device|laptop|tv|console|computer|camera|machine|bike|unit)",
            "not (work|fit) (with|on|in) (my|our)",
            "not (made|designed|meant|intended|suitable) (for|to fit|to work with) (my|our"
            "|this|the|use with)",
            "not for (my|our) (car|phone|model|device|printer|vehicle|laptop|machine)",
            "not the right (part|model|fitting|connector|plug|adapter|adaptor|version|cartridge"
            "|bulb|battery|charger)",
            "wrong (connector|plug|adapter|adaptor|fitting|voltage|thread|threads|socket|port"
            "|bulb base|pin|pins|interface|format|cartridge|fit for my)",
            f"{_NOT} (support|recognise|recognize|detect) (my|our|the|it)",
            "(not|isn't|is not|wasn't|was not) (supported|recogni(s|z)ed)",
            "unsupported",
            "(doesn't|does not|didn't|did not) match my (model|car|device|phone|printer|vehicle)",
        ),
        "Does not fit or work with the customer's own device: before 'not as described' "
        "('the listing says compatible but it isn't') and before 'defective' ('doesn't "
        "work with my phone').",
    ),
    ThemeRule(
        "not_as_described",
        "listing",
        (
            f"not as (described|discribed|descibed|pictured|pictures|shown|advertised"
            f"|advertized|stated|listed|depicted|expected|portrayed|promised|claimed|in the"
            f" {_LISTING})",
            f"{_NOT} (work|function|perform|look) as (described|advertised|pictured|shown"
            f"|stated|claimed|listed|promised|expected)",
            f"not like (the |in the )?{_LISTING}",
            f"{_NOT} (look|looks) (like|anything like) (the |in the )?{_LISTING}",
            "(looks|look|looked|is|was|are|were) nothing like",
            f"nothing like (the |its |what was |what is )?{_LISTING}",
            f"(different|differs|differed) (from|than|to|then) (the |what was |what is )?"
            f"{_LISTING}",
            "(description|listing|product page|product description|item description|title"
            "|product title|ad|advert|advertisement|picture|pictures|photo|photos|image|images"
            "|product photos|product images|specs|specifications) (says|said|states|stated"
            "|claims|claimed|promises|promised|is wrong|was wrong|are wrong|were wrong|is incorrect|was incorrect|are"
            " incorrect|is inaccurate|was inaccurate|are inaccurate|is misleading|was"
            " misleading|are misleading|were misleading|is false|are false|lied|lie)",
            "according to the (description|listing|picture|pictures|photos|ad|title)",
            "(advertised|described|listed|sold|marketed) as",
            "(misleading|misled|mislead)",
            "(false|deceptive) (advertising|advertisement|description|claim|claims|information"
            "|listing)",
            "falsely (advertised|described|listed|labeled|labelled|marketed)",
            "misrepresent*",
            "(inaccurate|incorrect|wrong|false|fake) (description|listing|picture|pictures"
            "|photo|photos|dimensions|measurements|information|specs|specifications|size"
            " chart)",
            "(counterfeit|knock off|knockoff|bootleg|inauthentic)",
            "(is|was|are|were|it's|clearly|obviously|definitely|probably|blatantly|totally) fake",
            "fake (product|item|brand|version|copy|one|ones|listing)",
            "not (genuine|authentic|original|an original|the original|real|the real|the genuine)",
            "(instructions|manual) (are |were |is |was )?(not in english|only in|all in|in"
            " chinese|in german|in japanese)",
            "not in english",
            "not what (i|we) expected",
            "not what (was|is|they) (advertised|described|pictured|shown|promised|claimed)",
            "not what (it|the listing|the description|the picture|the ad) (says|said|claims"
            "|claimed|shows|showed|looks like)",
            "(smaller|bigger|larger|thinner|thicker|shorter|longer|lighter|darker|cheaper"
            "|different) than (pictured|shown|advertised|described|listed|stated|it looks|it"
            " looked|in the picture|in the pictures|in the photo|in the photos|the picture"
            "|the pictures|the photo|the photos|the description|depicted)",
            "not the (material|colour|color|fabric|quality|size|item|product) (advertised"
            "|described|pictured|shown|listed)",
            "(is|was|are|were) not (leather|real leather|wood|solid wood|metal|stainless"
            "|steel|cotton|silk|gold|silver|wool|glass|bamboo|linen|waterproof)",
        ),
        "What arrived differs from the listing's words or pictures.",
    ),
    ThemeRule(
        "defective",
        "product",
        (
            "(stopped|stoped|stopt|stoppped|stop|stops|stopping|quit|quits|quite|ceased|ceases"
            ") (working|workin|workng|wroking|woking|functioning|charging"
            "|heating|cooling|spinning|pumping|turning on|powering on|responding|holding a"
            " charge|holding charge|recording|printing|blowing|lighting up|connecting|pairing)",
            "(doesn't|doesnt|does not|dosen't|dosent|dose not|don't|dont|do not|didn't|didnt"
            "|did not|won't|wont|will not|wouldn't|would not|can't|cannot|never|isn't|is not"
            "|aren't|are not|wasn't|was not|not|hardly|barely|no longer) (work|works|working"
            "|worked|function|functions|functioning|functional|operate|operates|operating)",
            "(won't|wont|will not|doesn't|doesnt|does not|didn't|didnt|did not|can't|cannot"
            "|wouldn't|would not|never|no longer) (turn on|power on|power up|switch on|start"
            "|boot|boot up|charge|hold a charge|hold charge|light up|heat up|heat|cool|spin"
            "|pump|connect|pair|sync|respond|load|print|record|play|inflate|stay on|stay lit"
            "|stay inflated|stay connected|hold air|latch|lock|unlock|turns on|charges)",
            "not (charging|turning on|powering on|heating|cooling|connecting|pairing"
            "|responding|holding a charge|holding charge|spinning|printing)",
            "(non|not) (working|functional|functioning|operational)",
            "(nonfunctional|inoperable|inoperative)",
            "dead on arrival",
            "doa",
            "(arrived|came|was|is|went|it's|its|were|are) dead",
            "dead (out of the box|right out of the box|on delivery|upon arrival|when it arrived)",
            "defect*",
            "(faulty|faulted)",
            "malfunction*",
            "(broke|broken|cracked|snapped|died|failed|split) (after|within|in less than"
            "|in under|on (the )?first|the first|on day|the same|during (first|normal|the first)"
            "|with normal|immediately|right away|almost immediately|the next|the second"
            "|after only|after just|in (a|an|one|two|three|four|five|few|1|2|3|4|5|6|7|8|9|10"
            "|just|only|less))",
            "broke",
            "(split|splits) (open|apart|in two|in half)",
            "(died|quit|gave out|gave up|crapped out|conked out|packed up|packed in) on (me|us)",
            "(died|failed) (completely|already|totally)",
            "battery (died|dies|drains|drained|is dead|was dead|won't charge|doesn't charge"
            "|does not charge|won't hold|doesn't hold|does not hold|only lasts|lasts only|dead"
            "|swollen|swelled)",
            "dead (battery|batteries|pixel|pixels)",
            "(only|barely|just) (lasted|worked|lasts|works) (a|an|one|two|three|few|for|about"
            "|1|2|3|once|twice)",
            "lasted (only|just|less than|barely|under)",
            "lasted (a|one|two|three|1|2|3|a few|few) (day|days|week|weeks|month|months|hour"
            "|hours|use|uses)",
            "worked (for|only) (a|an|one|two|three|1|2|3|few|about|the first|less than|like)",
            "worked (once|twice|one time|two times|initially|at first)",
            "worked (fine|great|well|ok|okay|perfectly) (for|until|at first|the first)",
            "(burned|burnt|blew|shorted|burns|blows) out",
            "short circuit*",
            "shorted",
            "(blew|blows|blown) (a|the) fuse",
            "blown fuse",
            "caught (on )?fire",
            "(sparks|sparked|sparking)",
            "(started|began|was|is) (smoking|sparking|melting)",
            "(smoke|sparks) (came|coming|poured|pouring) out",
            "melted",
            "overheat*",
            "too hot to touch",
            "keeps (turning off|shutting off|shutting down|switching off|disconnecting"
            "|dropping|restarting|rebooting|crashing|freezing|resetting|beeping|flashing"
            "|losing connection|losing signal|cutting out|dying|switching itself off|turning"
            " itself off)",
            "(turns|shuts|switches|cuts) (off|out) (by itself|on its own|randomly|every|after a)",
            "(cuts|cutting) out",
            "randomly (turns|shuts|switches|stops|disconnects|restarts|reboots)",
            "(error|fault) (code|message|light)",
            "glitch*",
            "buggy",
            "intermittent*",
            "(leaks|leaking|leaked|leaky|leakage)",
            "(grinding|clicking|buzzing|rattling|squealing|squeaking|humming|whining"
            "|screeching|rattle) (noise|noises|sound|sounds)",
            "(loud|weird|strange|horrible|terrible|awful) (noise|noises|rattle)",
            "(screen|display|button|buttons|switch|zipper|zip|motor|fan|pump|speaker|speakers"
            "|microphone|mic|charger|charging port|port|light|lights|bulb|led|leds|sensor"
            "|remote|bluetooth|wifi|heating element|thermostat|timer|knob|hinge|latch|valve"
            "|trigger|blade|blades|clasp|handle|strap) (stopped|failed|died|quit|went out|is"
            " broken|was broken|stuck|sticks|jammed|jams|snapped|came off|fell off|broken)",
            "(dud|duds)",
            "(under|on|claim|claimed|honour|honor|void|voided|use the|used the|through the) warranty",
            "warranty (claim|replacement|repair|return|issue|exchange)",
            "bad batch",
            "(fails|failed) to (work|turn|charge|start|power|connect|heat|cool|pump|spin|hold"
            "|operate|function)",
            "(isn't|is not|not|wasn't|was not) working (properly|correctly|right|at all)",
        ),
        "The product does not work or stopped working: after the listing themes so that "
        "'doesn't work with my phone' and 'doesn't work as described' are not defects.",
    ),
    ThemeRule(
        "expired_or_used",
        "product",
        (
            "expired",
            "expires (in|within|next|soon|tomorrow|this|the|today|before|in a)",
            "expiring soon",
            "(expiry|expiration|best before|best by|use by|sell by|bb) date (is|was|of|in|had"
            "|has|already|passed|next|last|on)",
            "past (its |the |their )?(expiry|expiration|best before|best by|use by|sell by"
            "|shelf life|prime)",
            "out of date",
            "(short|close|near|nearly|almost|about to) (dated|expiry|expiration|to expiry|to"
            " expiration|expired|expire)",
            "(stale|rancid|moldy|mouldy|spoiled|spoilt|rotten|gone off|went off|dried out"
            "|dried up|crystallized|crystallised)",
            "(mold|mould) (on it|growing|inside|all over)",
            "(arrived|came|received|recieved|sent|sold|shipped|delivered) (me |us )?(a |an )?used",
            "(clearly|obviously|visibly|definitely|previously|had been|was already|were already"
            "|came already|arrived already|already been|looked|looks|look|appeared|seems|seemed) used",
            "used (item|product|one|unit|goods|condition|and returned|returned|merchandise"
            "|and dirty|and resold|and repackaged|before|already)",
            "(item|product|unit) (is|was) used",
            "(not|isn't|wasn't|was not|is not|not brand|definitely not|clearly not) (brand )?new",
            "signs of (use|wear|being used|previous use|usage)",
            "(someone|somebody) else's",
            "(someone|somebody) (had |has )?(already )?(used|opened|returned|worn)",
            "pre owned",
            "preowned",
            "second hand",
            "secondhand",
            "refurb*",
            "returned (item|product|unit|merchandise)",
            "(someone else's|old|previous|an old) return label",
            "return (label|sticker) (on|inside|still on|was on|already)",
            "(resold|re sold|repackaged|re packaged|re boxed|reboxed|re taped|retaped"
            "|resealed|re sealed|re wrapped|rewrapped)",
            "(already|previously|had been|has been|was|were|been) opened",
            "opened before",
            "open box",
            "seal (was |had been |is |has been )?(already )?(broken|missing|open|opened|cut"
            "|torn|tampered|removed|peeled|damaged|lifted)",
            "(broken|missing|no|torn|tampered) (safety |security |protective |foil )?seal",
            "(unsealed|not sealed|wasn't sealed|was not sealed)",
            "tampered",
            "(had been|has been|previously|already been) worn",
            "worn (before|previously|by someone)",
            "(deodorant|makeup|make up|lipstick|sweat|perfume|food) (stains|stain|marks|residue)",
            "(hair|hairs) (on it|in it|all over|inside the|in the box|in the package|stuck to)",
            "(arrived|came|was|were|is|item|product|it's|its) (dirty|filthy|stained|grubby|grimy)",
            "fingerprints (on|all over)",
            "(smelled|smells|smelt|smelling|reeks|reeked|stinks|stank) (like|of) (smoke"
            "|cigarette|cigarettes|perfume|cologne|someone|pets|dog|cat|mildew|must|food)",
            "previous (owner|user|buyer|customer)",
            "already (activated|registered|redeemed)",
            "(code|key|card) (was |is )?already used",
        ),
        "Expired or previously used stock: after 'defective' because 'the warranty "
        "expired and it stopped working' is a defect.",
    ),
    ThemeRule(
        "damaged",
        "product",
        (
            "broken",
            "(cracked|crack|cracks)",
            "(dented|dent|dents|dinged|dings)",
            "(scratched|scratches|scratch marks)",
            "(a |big |deep |huge |long |large |visible )scratch (on|across|down|in|along|straight|right)",
            "(chipped|chips on|gouge|gouged|gouges|gash)",
            "(bent|crushed|squashed|busted)",
            "damage*",
            "torn",
            "(has|had|with|was|were|are) (a )?(hole|holes|tear|tears|rip) in",
            "(destroyed|ruined)",
            "(stained|stain) (on|all over)",
            "(crumbled|crumbling|warped lid)",
            "(bent|broken|cracked|damaged) (corner|corners|edge|edges|frame|leg|legs|lid|pages"
            "|cover|spine|handle|box)",
            "not in (good|perfect|new) condition",
            "(poor|bad|terrible) condition",
        ),
        "Damage words without a time: after 'defective' ('cracked after a week' is a "
        "defect) and after 'expired or used' ('seal was broken' is tampering).",
    ),
    ThemeRule(
        "quality",
        "product",
        (
            "(poor|bad|low|cheap|terrible|horrible|awful|lousy|crappy|crap|shoddy|inferior"
            "|substandard|sub par|subpar|questionable|mediocre|disappointing|very poor|very"
            " bad|very low|really poor|really bad|so poor|extremely poor|extremely low|pathetic"
            "|shocking|worst|inconsistent|horrendous|dreadful|rubbish) (quality|build quality"
            "|build)",
            "quality (is|was|isn't|wasn't|is not|was not|seems|feels) (very |really |so |just"
            " |extremely )?(poor|bad|low|terrible|horrible|awful|lousy|crap|crappy|shoddy|not"
            " good|not great|disappointing|subpar|sub par|not there|questionable|cheap|rubbish"
            "|garbage|trash|junk|lacking)",
            "quality (sucks|stinks|control|issues|issue|problem|problems)",
            "not (good|great|the best|high|very good|decent) quality",
            "(cheap|cheaply|poorly|badly|shoddily|flimsily|terribly|horribly) (made|constructed"
            "|built|manufactured|designed|stitched|sewn|finished|put together|produced)",
            "cheap (plastic|material|materials|fabric|feel|feeling|looking|metal|construction"
            "|build|junk|imitation|stuff|crap|garbage|product|thin|and flimsy|rubbish|tat|quality)",
            "(feels|feel|felt|looks|look|looked|seems|seemed) (very |really |so |super "
            "|extremely |pretty |quite |rather |a bit |kind of )?(cheap|flimsy|fragile|thin"
            "|plasticky|plastic|tacky|chintzy|nasty|low end)",
            "(flimsy|plasticky|chintzy|shoddy|tacky)",
            "(poor|bad|terrible|shoddy|sloppy|awful|lousy) (craftsmanship|workmanship|stitching"
            "|construction|finish|finishing|materials|material|fabric|sewing|welds|welding)",
            "(fell|falls|falling|came|comes|coming|came|started coming|starting to come) apart",
            "(came|comes|coming|come) (undone|unstitched|unglued|unravelled|unraveled)",
            "(came|comes|coming|come|fell|falls|falling) (off|loose|out) (after|within|easily"
            "|immediately|the first|in|when|on the)",
            "(stitching|stitches|seam|seams|thread|threads|hem|sole|soles|glue|paint|finish"
            "|coating|plating|veneer|laminate|stone|stones|bead|beads|heel|heels|fabric|print"
            "|gold|silver|colour|color) (came|comes|coming|fell|falls|falling|is coming|started"
            "|began|was|is|are|were|have) (apart|undone|off|loose|out|unstitched|unraveling"
            "|unravelling|peeling|chipping|flaking|fraying|fading|coming off|wearing off)",
            "loose (stone|stones|thread|threads|stitching)",
            "(ripped|tore|frayed|fraying|pilled|pilling|bobbling|bobbled|unraveled|unravelled"
            "|unraveling|unravelling|unravels)",
            "(peeling|peeled|peels off|peeled off|flaking|flaked|flakes off|flaking off)",
            "(faded|fading|fades|discolored|discoloured|discoloration|discolouration|colour ran"
            "|color ran|bled|bleeds|bleeding colour|bleeding color)",
            "(tarnished|tarnishes|tarnishing|started to tarnish|rusted|rusty|rusting|rusts|started to"
            " rust|rust spots|rust on|signs of rust|corroded"
            "|corrodes|corrosion|oxidized|oxidised|turned green|turned my skin green)",
            "(warped|warping|shrunk|shrank|shrinks|shrinking|splintered|splinters|wobbly"
            "|wobbles|unstable|rickety|uneven|lopsided)",
            "(too|paper|wafer) thin",
            "thin (material|fabric|plastic|metal|cloth|cardboard|and cheap)",
            "(is|was|are|were|so|completely|totally|very) see through",
            "not (durable|sturdy|strong|well made|solid|robust|worth|built to last|long lasting)",
            "(didn't|did not|doesn't|does not|won't|will not|wouldn't|would not) last",
            "(junk|rubbish|crap|crappy|junky|trashy)",
            "(total|complete|absolute|utter|pure|cheap) (garbage|trash)",
            "piece of (junk|crap|garbage|trash|rubbish|shit|sh t)",
            "waste of (money|time)",
            "(useless|worthless|pointless)",
            "(chemical|strong|bad|awful|terrible|horrible|weird|funny|toxic|plastic|rubber"
            "|foul|nasty|overpowering|funky) (smell|smells|odor|odour|odors|odours|scent)",
            "(smells|smelled|smelt|stinks|stank|reeks) (bad|awful|terrible|horrible|strongly"
            "|like chemicals|of chemicals|like plastic|of plastic|like rubber|weird|funny"
            "|strong|toxic|like petrol|like gasoline)",
            "(uncomfortable|itchy|scratchy)",
            "(rubbed|rubs|washed|washes|wore|wears|wearing|worn) off",
            "(snapped|snaps|snap) (off|in half|in two)",
        ),
        "Poor materials or workmanship, the catch-all product theme.",
    ),
    ThemeRule(
        "delivery",
        "delivery",
        (
            "(arrived|arrives|came|delivered|shipped|got here|showed up|turned up|arriving"
            "|arrival) (very |so |really |way |extremely |too |quite |a bit |a little "
            "|much |super )?late",
            "late (delivery|arrival|shipment|shipping|package|parcel|order|dispatch)",
            "(day|days|week|weeks|month|months) late",
            "(arrived|came|delivered|showed up|got here|turned up) (after|past) (the|my|our"
            "|christmas|the date|the event|the party|the estimated|the expected|the promised"
            "|the delivery|the birthday|the wedding|the holiday|two weeks|three weeks)",
            "too late (for|to use|to be)",
            "(never|didn't|didnt|did not|has not|hasn't|hasnt|have not|haven't|havent|still not"
            "|still hasn't|still haven't|not yet|yet to|never actually|not) (arrived|arrive"
            "|received|receive|recieved|recieve|came|come|showed up|show up|been delivered"
            "|delivered|turned up|got it|get it|gotten it|got my|get my|gotten|got anything"
            "|get anything|shown up)",
            "never (got|get) (it|them|my|the|this|anything|a)",
            "(still|been|am|are|keep|kept) waiting (for|on) (it|them|my order|my package|my parcel"
            "|my item|my delivery|the order|the package|the parcel|the item|the delivery|delivery"
            "|this to arrive|it to arrive)",
            "where is my (order|package|parcel|item|delivery)",
            "(lost|missing|stolen) (in the post|in the mail|in transit|package|parcel"
            "|shipment|delivery|order|in shipping)",
            f"{_PARCEL} (was |got |went |is |has been |had been )?(lost|stolen|never delivered"
            f"|not delivered|misdelivered|delayed|returned to sender|missing)",
            "(wrong|incorrect) address",
            "(delivered|left|dropped|sent|given) (to|at|with) (the )?(wrong|another|a different"
            "|my neighbour|my neighbor|a neighbour|a neighbor|neighbours|neighbors|the"
            " neighbour|the neighbor|someone else)",
            "(marked|shows|showed|says|said|listed|shown) (as )?delivered",
            "tracking (says|said|shows|showed|number|info|information|hasn't|has not|never"
            "|not updated|stopped|stuck|didn't|did not|doesn't|does not|wasn't|was not)",
            "no tracking",
            "(misdelivered|mis delivered|undelivered|undeliverable|returned to sender)",
            "(delivery|shipping|shipment|postage|courier|carrier|dispatch|arrival) (was |is "
            "|took |takes |has been |so |very |extremely |really )?(slow|delayed|late|terrible"
            "|awful|horrible|forever|too long|ages|weeks|a month|so long|a long time|way too"
            " long)",
            "(slow|delayed|late|terrible|awful|horrible|poor|bad) (delivery|shipping|shipment"
            "|courier|carrier|postage|dispatch|service from the courier)",
            "took (too long|forever|ages|weeks|a month|over a month|so long|way too long|a long"
            " time|months|two weeks|three weeks|a week|10 days|2 weeks|3 weeks|4 weeks) to"
            " (arrive|ship|deliver|come|get here|be delivered|be shipped|show up|turn up"
            "|dispatch|be dispatched)",
            "to (arrive|be delivered|get here|show up|turn up)",
            "(missed|past|after|beyond|passed|overdue|exceeded) (the )?(delivery date"
            "|estimated delivery|expected delivery|promised delivery|delivery window|arrival"
            " date|estimated arrival|expected arrival|guaranteed delivery|delivery time"
            "|delivery estimate|date)",
            "(missed|failed) (the |my )?delivery",
            "(delivery|shipping|shipment|order|package|parcel) delay*",
            "(was|been|got|keeps getting|kept getting|keep getting) delayed",
            f"empty {_PARCEL}",
            f"{_PARCEL} (was|came|arrived) empty",
            "(left|thrown|dumped|tossed)( it| them| the parcel| the package| the box)? (outside|on the porch|at the door|in the rain|over the"
            " fence|on the doorstep|in the bushes|in the snow|in the street)",
            "(driver|courier|mailman|postman|carrier|delivery guy) (threw|left|dumped|dropped"
            "|tossed|lost|never|didn't|did not|refused)",
            "(stolen|porch pirate)",
            "(wasn't|was not|not|never|weren't|were not) delivered",
            "still hasn't (shipped|been shipped|arrived)",
            "(hasn't|has not|never|not) (shipped|been shipped|dispatched|been dispatched)",
        ),
        "Late, lost or misdelivered parcels: after every product and listing theme, since "
        "'arrived late and broken' is still a damaged product.",
    ),
    ThemeRule(
        "remorse",
        "remorse",
        (
            "(changed|change|changing) (my|our|his|her) (mind|minds)",
            "change of (mind|heart|plans)",
            "(no longer|don't|dont|do not|didn't|didnt|did not|not) (need|needed|want|wanted"
            "|require|required)",
            "(wasn't|was not|isn't|is not|weren't|were not|aren't|are not) (needed|wanted"
            "|required)",
            "(not|no longer) needed",
            "found (it |one |them |a |an |the same (item |product |thing )?)?(cheaper|for less"
            "|elsewhere|somewhere else|at a better price|at a lower price|on sale|locally|in"
            " store|in a store|for cheaper|better|for a better price)",
            "cheaper (elsewhere|somewhere else|at|in store|locally|price|option|alternative"
            "|version|on|from)",
            "(better|lower|cheaper) (price|deal|offer|option)",
            "(price|prices) (dropped|went down|was lowered|lowered|decreased|reduced)",
            "price drop*",
            "went on sale",
            "on sale (elsewhere|for less|cheaper|now)",
            "(too|very|so|way|far too) (expensive|pricey|pricy|costly)",
            "overpriced",
            "(didn't|did not|don't|do not|dont|didnt) (like|love|care for|fancy|suit)",
            "(not|wasn't|isn't|was not|is not) (for me|my style|my taste|to my taste|my colour"
            "|my color|what i wanted|what i was looking for|what i needed|flattering|my thing"
            "|as cute|as nice|what i had in mind)",
            "(bought|ordered|purchased|found|chose|went with|got) (another|a different|a better"
            "|something else|one elsewhere|it elsewhere|elsewhere|a cheaper)",
            "(already|i already) (have|had|own|owned|bought|purchased) (one|it|this|them|these"
            "|a|an|the)",
            "(unwanted|duplicate) (gift|present)",
            "gift (was |is )?(not needed|not wanted|unwanted|no longer needed|duplicate)",
            "(decided|choose|chose|opted|decide) (not to|against|to return|to keep|to go with"
            "|on a different|on another|i don't|i didn't|to get)",
            "(impulse|accidental) (buy|purchase)",
            "no reason",
            "(trip|event|party|wedding|occasion|project|holiday|vacation|plans) (that |which )?(was"
            " |were |got |has been |have been )?(cancelled|canceled|postponed|called off|changed)",
            "plans changed",
            "unauthori(z|s)ed (purchase|order|charge)",
            "(ordered|bought|purchased) without (my )?(permission|consent|authori(z|s)ation"
            "|knowledge)",
            "(kid|kids|child|children|son|daughter|grandson|granddaughter|toddler) (accidentally"
            " )?(ordered|bought|purchased)",
            "(returning|return|sending back|send back) (it )?(unopened|unused)",
            "(never|not) (opened|worn|needed|been used|been opened|been worn)",
            "never used",
            "(unopened|unused|still sealed|in original packaging|in its original packaging)",
            "(don't|dont|do not|didn't|did not) (need|want) (it|them|this|these) (anymore"
            "|any more)",
        ),
        "The customer no longer wants the item: last, because any product or listing "
        "problem mentioned alongside is the one that matters.",
    ),
)

# ---------------------------------------------------------------------------------------
# Phrase syntax -> regex (valid in RE2 and in Python's re with re.ASCII)
# ---------------------------------------------------------------------------------------

# Any run of ASCII blanks, no-break spaces or hyphens ("dead-on-arrival", "does  not").
# Spelled out rather than \s: RE2's \s lacks \v and Python's ASCII \s has it.
_SEP = "[\t\n\r \xa0-]+"
# An optional apostrophe of any common kind: "doesn't", "doesn’t", "doesnt".
_APOS = "['\u2018\u2019\u02bc\u00b4`]?"
# RE2's (?i) also folds the Kelvin sign into k and the long s into s; Python's re.ASCII
# does not, so both are written out and the two engines match the same texts.
_LETTERS = {"k": "[k\u212a]", "s": "[s\u017f]"}
_PHRASE_CHARS = re.compile(r"[a-z0-9 '()|?*-]+")


def _phrase_regex(phrase: str) -> str:
    """The regex of one lexicon phrase, anchored on ASCII word boundaries."""
    if not _PHRASE_CHARS.fullmatch(phrase) or "*" in phrase[:-1]:
        raise ValueError(f"lexicon phrase uses characters outside its syntax: {phrase!r}")
    body, is_prefix = (phrase[:-1], True) if phrase.endswith("*") else (phrase, False)
    out: list[str] = []
    prev = ""
    for ch in body:
        if ch in " -":
            out.append(_SEP)
        elif ch == "'":
            out.append(_APOS)
        elif ch == "(":
            out.append("(?:")
        elif ch == "?":
            if not (prev == ")" or prev.isalnum()):
                raise ValueError(f"'?' must follow a letter or a group: {phrase!r}")
            out.append("?")
        elif ch in ")|":
            out.append(ch)
        else:
            out.append(_LETTERS.get(ch, ch))
        prev = ch
    return r"\b" + "".join(out) + ("" if is_prefix else r"\b")


def _rule_regex(rule: ThemeRule) -> str:
    return "(?i)(?:" + "|".join(_phrase_regex(p) for p in rule.phrases) + ")"


_PATTERNS: tuple[str, ...] = tuple(_rule_regex(rule) for rule in LEXICON)
_COMPILED: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.ASCII) for p in _PATTERNS)


def theme_patterns() -> list[tuple[int, str, str, str]]:
    """Rows (priority, theme, issue_type, regex) of the lexicon, priorities 1..N in order.

    Each regex is RE2 syntax for DuckDB's ``regexp_matches(comment, regex)``; Python's
    :func:`classify` compiles the same strings with ``re.ASCII``.
    """
    return [
        (priority, rule.theme, rule.issue_type, pattern)
        for priority, (rule, pattern) in enumerate(zip(LEXICON, _PATTERNS, strict=True), 1)
    ]


def text_classification(comment: str | None) -> tuple[str, str] | None:
    """(issue_type, theme) of the first lexicon rule matching the comment, or None."""
    if comment is None:
        return None
    for rule, regex in zip(LEXICON, _COMPILED, strict=True):
        if regex.search(comment):
            return rule.issue_type, rule.theme
    return None


def classify(reason_code: str | None, comment: str | None) -> tuple[str, str]:
    """(issue_type, theme) of one feedback event (docs/health.md).

    A known reason code decides; otherwise the first lexicon rule matching the comment;
    otherwise ("unknown", "other"). NULL or blank inputs are simply not informative.
    """
    return reason_classification(reason_code) or text_classification(comment) or UNCLASSIFIED


def counted(source: str, issue_type: str, rating: int | None) -> tuple[bool, str | None]:
    """Whether an event counts toward NCX (docs/health.md), and if not, why.

    Returns (True, None) or (False, reason), the first that applies of: "seller feedback"
    (that source never counts), "delivery" / "remorse" (issue types that never count),
    "not one-star" (a review whose rating is not 1, NULL included). Raises ValueError for
    a source or issue type outside :data:`SOURCES` / :data:`ISSUE_TYPES`.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown feedback source {source!r}")
    if issue_type not in ISSUE_TYPES:
        raise ValueError(f"unknown issue type {issue_type!r}")
    if source == "seller_feedback":
        return False, "seller feedback"
    if issue_type in ("delivery", "remorse"):
        return False, issue_type
    if source == "review" and rating != 1:
        return False, "not one-star"
    return True, None


# ---------------------------------------------------------------------------------------
# DuckDB reference tables
# ---------------------------------------------------------------------------------------

# Session variable holding the lexicon regexes, in priority order (read by classify.sql).
PATTERNS_VARIABLE = "theme_lexicon_patterns"
CLASSIFY_SQL_PATH = Path(__file__).parent / "sql" / "classify.sql"


def load_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``reason_map`` and ``theme_lexicon`` and point classify.sql at them.

    reason_map(code, issue_type, theme): normalised codes, prefixes as ``PREFIX*`` and FBA
    replacement numbers. theme_lexicon(priority, theme, issue_type, pattern): one RE2 regex
    per rule. Values go in as bound parameters. Also sets the connection's session variable
    ``theme_lexicon_patterns`` from theme_lexicon, so classify.sql sees each regex as a
    constant (compiled once, not once per row); run classify.sql on the same connection.
    Runs inside the caller's transaction if there is one.
    """
    con.execute(
        "CREATE OR REPLACE TABLE reason_map (code VARCHAR, issue_type VARCHAR, theme VARCHAR)"
    )
    con.executemany("INSERT INTO reason_map VALUES (?, ?, ?)", reason_map_rows())
    con.execute(
        "CREATE OR REPLACE TABLE theme_lexicon "
        "(priority INTEGER, theme VARCHAR, issue_type VARCHAR, pattern VARCHAR)"
    )
    con.executemany("INSERT INTO theme_lexicon VALUES (?, ?, ?, ?)", theme_patterns())
    con.execute(
        f"SET VARIABLE {PATTERNS_VARIABLE} = "
        "(SELECT list(pattern ORDER BY priority) FROM theme_lexicon)"
    )


def classify_sql(source: str = "feedback") -> str:
    """The text of classify.sql: one SELECT of (feedback_id, issue_type, theme, counted,
    not_counted_reason) over ``source`` (a trusted relation name with the feedback
    columns: the feedback table by default), reason_map and theme_lexicon."""
    return CLASSIFY_SQL_PATH.read_text(encoding="utf-8").replace("{feedback}", source)

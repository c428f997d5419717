"""Event classification (docs/health.md): issue type, theme and whether an event counts.

Two engines implement the same rules and must agree row by row:

- :func:`classify` and :func:`counted`, the Python reference, used by tests and small tools;
- ``engine/sql/classify.sql``, used to build the derived ``events`` table in DuckDB.

Both read the same data: :data:`REASON_CODES`, :data:`REPLACEMENT_CODES` and the phrase
:data:`LEXICON`, loaded from ``engine/lexicon/<language>.toml`` (docs/themes.md), whose
rules :func:`theme_patterns` turns into one RE2 regex each. Python compiles the very same
strings with ``re`` and ``re.ASCII`` (both engines then agree on ``\\b``, case folding and
separators; see ``_phrase_regex``), and both read the comment folded the same way
(:func:`prepared`: accents removed, negated phrases blanked).

Rules are tried in priority order and the first whose regex matches anywhere in the
comment wins; what decided is returned too (:func:`classify_explained`).
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
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
# The phrase lexicon: engine/lexicon/<language>.toml (docs/themes.md)
# ---------------------------------------------------------------------------------------

LEXICON_DIR = Path(__file__).parent / "lexicon"


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and the rule."""


@dataclass(frozen=True)
class ThemeRule:
    """One priority of the merged lexicon: its phrases (word lists filled in) from every
    language file that has a rule at that priority, all for one ``theme``."""

    priority: int
    theme: str
    issue_type: str
    phrases: tuple[str, ...]
    languages: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Lexicon:
    """The rules of every language file, merged and in priority order, with their regexes
    (RE2 and Python ``re`` with ``re.ASCII`` read the same strings) and the negation regex
    (None when no file lists negated phrases)."""

    rules: tuple[ThemeRule, ...]
    negations: tuple[str, ...]
    languages: tuple[str, ...]
    patterns: tuple[str, ...] = field(init=False, repr=False)
    negation_pattern: str | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(_rule_regex(r.phrases) for r in self.rules))
        negation = _rule_regex(self.negations) if self.negations else None
        object.__setattr__(self, "negation_pattern", negation)

    @functools.cached_property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.ASCII) for p in self.patterns)

    @functools.cached_property
    def negation_compiled(self) -> re.Pattern[str] | None:
        p = self.negation_pattern
        return None if p is None else re.compile(p, re.ASCII)


_WORD_REF = re.compile(r"\{([a-z_]+)\}")


def _expand(phrase: object, words: dict[str, str], where: str) -> str:
    if not isinstance(phrase, str) or not phrase:
        raise LexiconError(f"{where}: every phrase must be a non-empty string, not {phrase!r}")

    def word_list(m: re.Match[str]) -> str:
        if m.group(1) not in words:
            raise LexiconError(f"{where}: {{{m.group(1)}}} is not in the file's [words]")
        return words[m.group(1)]

    text = _WORD_REF.sub(word_list, phrase)
    try:
        _phrase_regex(text)
    except ValueError as err:
        raise LexiconError(f"{where}: {err}") from None
    return text


def load_lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    """Every ``*.toml`` of ``directory``, merged: rules of the same priority in several
    files join their phrases (they must name the same theme), rules run in priority order.
    A new language is a new file; no code changes. Raises LexiconError naming the file."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise LexiconError(f"no lexicon files (*.toml) in {directory}")
    merged: dict[int, dict] = {}
    negations: list[str] = []
    languages: list[str] = []
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise LexiconError(f"{path.name}: not a TOML file: {err}") from None
        language = data.get("language", path.stem)
        languages.append(language)
        words = data.get("words", {})
        if not all(isinstance(v, str) for v in words.values()):
            raise LexiconError(f"{path.name}: every [words] entry must be a string")
        for k, phrase in enumerate(data.get("negation", {}).get("phrases", []), 1):
            negations.append(_expand(phrase, words, f"{path.name} negation phrase {k}"))
        for k, rule in enumerate(data.get("rule", []), 1):
            where = f"{path.name} rule {k}"
            theme, priority = rule.get("theme"), rule.get("priority")
            if theme not in THEMES:
                raise LexiconError(f"{where}: theme {theme!r} is not one of {', '.join(THEMES)}")
            if not isinstance(priority, int) or isinstance(priority, bool):
                raise LexiconError(f"{where}: priority must be a whole number")
            slot = merged.setdefault(
                priority, {"theme": theme, "phrases": [], "languages": [], "notes": []}
            )
            if slot["theme"] != theme:
                raise LexiconError(
                    f"{where}: priority {priority} is {slot['theme']!r} in another file, "
                    f"not {theme!r}"
                )
            slot["phrases"] += [
                _expand(p, words, f"{where} phrase {i}") for i, p in enumerate(rule["phrases"], 1)
            ]
            slot["languages"].append(language)
            if rule.get("note"):
                slot["notes"].append(rule["note"])
    rules = tuple(
        ThemeRule(
            priority=priority,
            theme=slot["theme"],
            issue_type=THEME_ISSUE_TYPES[slot["theme"]],
            phrases=tuple(dict.fromkeys(slot["phrases"])),
            languages=tuple(slot["languages"]),
            note=" ".join(slot["notes"]),
        )
        for priority, slot in sorted(merged.items())
        if slot["phrases"]
    )
    return Lexicon(rules, tuple(dict.fromkeys(negations)), tuple(languages))


# ---------------------------------------------------------------------------------------
# Phrase syntax -> regex (valid in RE2 and in Python's re with re.ASCII)
# ---------------------------------------------------------------------------------------

# Any run of ASCII blanks, no-break spaces or hyphens ("dead-on-arrival", "does  not").
# Spelled out rather than \s: RE2's \s lacks \v and Python's ASCII \s has it.
_SEP = "[\t\n\r \xa0-]+"
# An optional apostrophe of any common kind: "doesn't", "doesn’t", "doesnt".
_APOS = "['\u2018\u2019\u02bc\u00b4`]?"
_PHRASE_CHARS = re.compile(r"[a-z0-9 ,'()|?*-]+")


def _phrase_regex(phrase: str) -> str:
    """The regex of one lexicon phrase, anchored on ASCII word boundaries."""
    if not _PHRASE_CHARS.fullmatch(phrase) or "*" in phrase[:-1]:
        raise ValueError(
            f"phrase uses characters outside the syntax (lower-case a-z without accents, "
            f"digits, space, ' , - ( | ) ? and a final *): {phrase!r}"
        )
    if phrase.count("(") != phrase.count(")"):
        raise ValueError(f"unbalanced parentheses: {phrase!r}")
    body, is_prefix = (phrase[:-1], True) if phrase.endswith("*") else (phrase, False)
    out: list[str] = []
    prev = ""
    for ch in body:
        if ch in " -":
            out.append(_SEP)
        elif ch == "'":
            out.append(_APOS)
        elif ch == ",":
            out.append(",?")
        elif ch == "(":
            out.append("(?:")
        elif ch == "?":
            if not (prev == ")" or prev.isalnum()):
                raise ValueError(f"'?' must follow a letter or a group: {phrase!r}")
            out.append("?")
        elif ch in ")|":
            out.append(ch)
        else:
            out.append(ch)
        prev = ch
    if re.fullmatch("".join(out), "", re.ASCII):
        raise ValueError(f"a phrase must not match the empty text: {phrase!r}")
    return r"\b" + "".join(out) + ("" if is_prefix else r"\b")


def _rule_regex(phrases: tuple[str, ...]) -> str:
    return "(?i)(?:" + "|".join(_phrase_regex(p) for p in phrases) + ")"


LEXICON: Lexicon = load_lexicon()


def theme_patterns(lexicon: Lexicon = LEXICON) -> list[tuple[int, str, str, str]]:
    """Rows (position, theme, issue_type, regex) of the lexicon's rules, positions 1..N in
    priority order.

    Each regex is RE2 syntax for DuckDB's ``regexp_matches(comment, regex)``; Python's
    :func:`classify` compiles the same strings with ``re.ASCII``.
    """
    return [
        (position, rule.theme, rule.issue_type, pattern)
        for position, (rule, pattern) in enumerate(
            zip(lexicon.rules, lexicon.patterns, strict=True), 1
        )
    ]


# Accents are removed (canonical decomposition, combining marks dropped, as DuckDB's
# strip_accents does) and the ligatures written out, so "brisé", "brise" and "BRISÉ" read
# the same and French phrases are written once, without accents. The long s goes too:
# RE2's (?i) folds it into s and Python's re.ASCII does not, so neither engine sees it
# (the Kelvin sign, which RE2 folds into k, is already K after the decomposition).
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ſ": "s"}


def fold(text: str) -> str:
    """``text`` as the lexicon reads it: accents removed, œ and æ written out, NUL a space.
    classify.sql does the same with ``strip_accents`` and ``replace``."""
    # NUL as a blank first: strip_accents stops at it
    text = text.replace("\x00", " ")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    bare = unicodedata.normalize("NFC", bare)
    for ligature, letters in _LIGATURES.items():
        bare = bare.replace(ligature, letters)
    return bare


def prepared(comment: str, lexicon: Lexicon = LEXICON) -> str:
    """The comment as the rules see it: folded, and every negated phrase of the lexicon
    ("not broken", "pas brisé") blanked to one space."""
    text = fold(comment)
    negation = lexicon.negation_compiled
    return text if negation is None else negation.sub(" ", text)


_BLANK_RUN = re.compile("[\t\n\v\f\r \xa0]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _decided_phrase(matched: str) -> str:
    """The matched text as decided_by shows it: ASCII letters lower-cased, every run of
    blanks (ASCII whitespace, no-break space) one space; exactly what classify.sql does."""
    return _BLANK_RUN.sub(" ", matched.translate(_ASCII_LOWER))


def text_match(comment: str | None, lexicon: Lexicon = LEXICON) -> tuple[ThemeRule, str] | None:
    """The first lexicon rule matching the prepared comment and the text its regex matched
    (its first match), or None."""
    if comment is None:
        return None
    text = prepared(comment, lexicon)
    for rule, regex in zip(lexicon.rules, lexicon.compiled, strict=True):
        m = regex.search(text)
        if m:
            return rule, m.group(0)
    return None


def text_classification(comment: str | None, lexicon: Lexicon = LEXICON) -> tuple[str, str] | None:
    """(issue_type, theme) of the first lexicon rule matching the comment, or None."""
    found = text_match(comment, lexicon)
    return None if found is None else (found[0].issue_type, found[0].theme)


def classify_explained(
    reason_code: str | None, comment: str | None, lexicon: Lexicon = LEXICON
) -> tuple[str, str, str | None]:
    """(issue_type, theme, decided_by) of one feedback event.

    decided_by is ``"reason_code:<normalised code>"`` when the code decided,
    ``"phrase:<text>"`` when a lexicon rule did (the text its regex matched in the prepared
    comment, ASCII letters lower-cased and blank runs collapsed to one space), None for
    ("unknown", "other"). The SQL of classify.sql returns the same, row by row.
    """
    by_code = reason_classification(reason_code)
    if by_code is not None:
        return (*by_code, f"reason_code:{normalise_reason(reason_code)}")
    found = text_match(comment, lexicon)
    if found is not None:
        rule, matched = found
        return rule.issue_type, rule.theme, f"phrase:{_decided_phrase(matched)}"
    return (*UNCLASSIFIED, None)


def classify(
    reason_code: str | None, comment: str | None, lexicon: Lexicon = LEXICON
) -> tuple[str, str]:
    """(issue_type, theme) of one feedback event (docs/health.md).

    A known reason code decides; otherwise the first lexicon rule matching the comment;
    otherwise ("unknown", "other"). NULL or blank inputs are simply not informative.
    """
    return classify_explained(reason_code, comment, lexicon)[:2]


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
# Session variable holding the negation regex, NULL when the lexicon has none.
NEGATION_VARIABLE = "theme_negation_pattern"
CLASSIFY_SQL_PATH = Path(__file__).parent / "sql" / "classify.sql"


def load_reference_tables(con: duckdb.DuckDBPyConnection, lexicon: Lexicon = LEXICON) -> None:
    """(Re)create ``reason_map`` and ``theme_lexicon`` and point classify.sql at them.

    reason_map(code, issue_type, theme): normalised codes, prefixes as ``PREFIX*`` and FBA
    replacement numbers. theme_lexicon(priority, theme, issue_type, pattern): one RE2 regex
    per rule. Values go in as bound parameters. Also sets the connection's session variable
    ``theme_lexicon_patterns`` from theme_lexicon, so classify.sql sees each regex as a
    constant (compiled once, not once per row), and ``theme_negation_pattern`` to the
    lexicon's negation regex; run classify.sql (of the same lexicon) on the same connection.
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
    con.executemany("INSERT INTO theme_lexicon VALUES (?, ?, ?, ?)", theme_patterns(lexicon))
    con.execute(
        f"SET VARIABLE {PATTERNS_VARIABLE} = "
        "(SELECT list(pattern ORDER BY priority) FROM theme_lexicon)"
    )
    con.execute(
        f"SET VARIABLE {NEGATION_VARIABLE} = CAST(? AS VARCHAR)", [lexicon.negation_pattern]
    )


# The by_text pre-check of classify.sql joins neighbouring rules into one regex while their
# patterns together stay under _BLOCK_CHARS characters: a join of large rules outgrows
# RE2's DFA memory budget and falls back to a much slower matcher. Measured on the demo
# (derived tables, English and French lexicons): see docs/themes.md "Speed".
_BLOCK_CHARS = 12_000


def _blocks(lexicon: Lexicon) -> list[list[int]]:
    """Rule positions (1-based) in blocks of neighbours under _BLOCK_CHARS together."""
    blocks: list[list[int]] = []
    size = 0
    for k, pattern in enumerate(lexicon.patterns, 1):
        if blocks and size + len(pattern) <= _BLOCK_CHARS:
            blocks[-1].append(k)
            size += len(pattern)
        else:
            blocks.append([k])
            size = len(pattern)
    return blocks


def _pattern(k: int) -> str:
    return f"getvariable('{PATTERNS_VARIABLE}')[{k}]"


def _text_hit(lexicon: Lexicon) -> str:
    """classify.sql's hit expression: a coalesce, one argument per block of rules, each a
    struct {'k': position, 'm': first match} or NULL (see the comment there)."""
    pad = " " * 16

    def extracts(block: list[int]) -> str:
        items = ", ".join(
            f"{{'k': {k}, 'm': regexp_extract(b.comment, {_pattern(k)}, 0)}}" for k in block
        )
        return f"list_filter([{items}], lambda x: x.m <> '')[1]"

    parts = []
    for block in _blocks(lexicon):
        if len(block) == 1:
            parts.append(extracts(block))
        else:
            union = " || '|' || ".join(f"substr({_pattern(k)}, 5)" for k in block)
            parts.append(
                f"CASE WHEN regexp_matches(b.comment, '(?i)(?:' || {union} || ')') "
                f"THEN {extracts(block)} END"
            )
    return "coalesce(\n" + ",\n".join(pad + p for p in parts) + "\n" + pad[:-4] + ")"


def classify_sql(source: str = "feedback", lexicon: Lexicon = LEXICON) -> str:
    """The text of classify.sql: one SELECT of (feedback_id, issue_type, theme, counted,
    not_counted_reason, decided_by) over ``source`` (a trusted relation name with the
    feedback columns: the feedback table by default), reason_map and theme_lexicon, with
    one branch per lexicon rule."""
    n = len(lexicon.rules)
    return (
        CLASSIFY_SQL_PATH.read_text(encoding="utf-8")
        .replace("{feedback}", source)
        .replace("{rule_count}", str(n))
        .replace("{priorities}", "[" + ", ".join(str(k) for k in range(1, n + 1)) + "]")
        .replace("{text_hit}", _text_hit(lexicon))
    )

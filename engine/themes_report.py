"""How well the comment-text classifier agrees with the hand-labelled sets
(tests/fixtures/themes/, docs/themes.md): precision, recall and F1 per theme, macro F1
per language, on every row and on the held-out rows (every fifth, never used to write
phrases).

    python -m engine.themes_report [--lang en|fr] [--errors]
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.themes import THEMES, classify_explained

LABELLED_DIR = Path(__file__).parents[1] / "tests" / "fixtures" / "themes"
LANGUAGES = ("en", "fr")
HELD_OUT_EVERY = 5  # rows 5, 10, 15, ... (1-based) are held out


@dataclass(frozen=True)
class Labelled:
    row: int  # 1-based data row of the file
    comment: str
    theme: str

    @property
    def held_out(self) -> bool:
        return self.row % HELD_OUT_EVERY == 0


@dataclass(frozen=True)
class ThemeScore:
    theme: str
    support: int  # labelled rows of the theme
    precision: float
    recall: float
    f1: float


def labelled(lang: str) -> list[Labelled]:
    """The labelled comments of one language, in file order."""
    path = LABELLED_DIR / f"labelled_{lang}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [Labelled(k, r["comment"], r["theme"]) for k, r in enumerate(csv.DictReader(f), 1)]


def scores(pairs: list[tuple[str, str]]) -> tuple[list[ThemeScore], float]:
    """Per-theme scores of (gold, predicted) pairs, and their macro F1 over the themes
    that occur (as gold or predicted)."""
    out = []
    for theme in THEMES:
        tp = sum(g == theme and p == theme for g, p in pairs)
        fp = sum(g != theme and p == theme for g, p in pairs)
        fn = sum(g == theme and p != theme for g, p in pairs)
        if tp + fp + fn == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(ThemeScore(theme, tp + fn, precision, recall, f1))
    macro = sum(s.f1 for s in out) / len(out) if out else 0.0
    return out, macro


def predicted(rows: list[Labelled]) -> list[tuple[Labelled, str, str | None]]:
    """Each row with the theme the classifier gives its comment and what decided it."""
    return [(r, *classify_explained(None, r.comment)[1:]) for r in rows]


def evaluate(lang: str, *, held_out_only: bool = False) -> tuple[list[ThemeScore], float]:
    rows = [r for r in labelled(lang) if r.held_out or not held_out_only]
    return scores([(r.theme, p) for r, p, _ in predicted(rows)])


def table(lang: str) -> str:
    """The per-theme table of one language, all rows and held-out rows side by side."""
    everything, macro = evaluate(lang)
    held, held_macro = evaluate(lang, held_out_only=True)
    held_by = {s.theme: s for s in held}
    n = len(labelled(lang))
    lines = [
        f"{lang}: {n} labelled comments ({n // HELD_OUT_EVERY} held out)",
        f"{'theme':<18}{'n':>4}{'P':>7}{'R':>7}{'F1':>7}   {'held-out P':>10}{'R':>7}{'F1':>7}",
    ]
    for s in everything:
        h = held_by.get(s.theme)
        tail = f"{h.precision:>10.2f}{h.recall:>7.2f}{h.f1:>7.2f}" if h else f"{'-':>10}"
        lines.append(
            f"{s.theme:<18}{s.support:>4}{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}   {tail}"
        )
    lines.append(
        f"{'macro F1':<18}{'':>4}{'':>7}{'':>7}{macro:>7.3f}   {'':>10}{'':>7}{held_macro:>7.3f}"
    )
    return "\n".join(lines)


def errors(lang: str) -> str:
    """The misclassified rows, held-out rows left out (they stay unseen by whoever writes
    phrases): row, labelled theme, predicted theme, what decided, comment."""
    lines = []
    for r, theme, decided in predicted([r for r in labelled(lang) if not r.held_out]):
        if theme != r.theme:
            lines.append(f"{r.row:>4} {r.theme:<17} -> {theme:<17} [{decided or '-'}] {r.comment}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.themes_report", description=__doc__)
    parser.add_argument("--lang", choices=LANGUAGES, action="append")
    parser.add_argument(
        "--errors",
        action="store_true",
        help="also list misclassified rows (held-out rows left out)",
    )
    args = parser.parse_args(argv)
    for lang in args.lang or LANGUAGES:
        print(table(lang))
        if args.errors:
            print(errors(lang) or "(no errors)")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Errors raised for bad input files (as opposed to bugs).

An `InputError` carries a list of `Problem`s, each naming the file, the row and the column
where the problem is, so the UI and the CLI can show every problem at once instead of
making the user fix one error per import attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file.

    `row` is the row as a spreadsheet shows it (for CSV the header is row 1, the first
    data row is row 2; for Parquet the 1-based data row); `None` for problems with the
    whole file or a whole column. `also_row` is the second row of a pair (duplicate keys).
    """

    file: str
    row: int | None
    column: str | None
    message: str
    also_row: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None and self.also_row is not None:
            where += f" rows {self.row} and {self.also_row}"
        elif self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad input. `problems` is a list of Problem; str(err) is a readable multi-line message.

    `more` is the number of further problems that were found but not listed (the list is
    capped); `more_is_lower_bound` is set when counting stopped early.
    """

    def __init__(
        self,
        problems: Iterable[Problem],
        more: int = 0,
        more_is_lower_bound: bool = False,
    ) -> None:
        self.problems: list[Problem] = list(problems)
        self.more = more
        self.more_is_lower_bound = more_is_lower_bound
        super().__init__(self._render())

    def __reduce__(self):  # picklable, e.g. across background-callback processes
        return (type(self), (self.problems, self.more, self.more_is_lower_bound))

    def _render(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.more:
            at_least = "at least " if self.more_is_lower_bound else ""
            noun = "problem" if self.more == 1 else "problems"
            lines.append(f"... and {at_least}{self.more} more {noun} not shown")
        if len(lines) == 1:
            return lines[0]
        total = len(self.problems) + self.more
        files = sorted({p.file for p in self.problems})
        subject = files[0] if len(files) == 1 else "the input"
        plus = "+" if self.more_is_lower_bound else ""
        header = f"{subject}: {total}{plus} problems found"
        return "\n".join([header, *("  " + line for line in lines)])

    def __str__(self) -> str:
        return self._render()

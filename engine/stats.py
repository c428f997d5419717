"""Interval arithmetic shared by the rules of docs/health.md (health, early warning)."""

from __future__ import annotations

import polars as pl


def wilson(k: pl.Expr, n: pl.Expr, *, z: float) -> tuple[pl.Expr, pl.Expr]:
    """Wilson score interval (lo, hi) of k successes in n trials; null where n = 0."""
    n_f = n.cast(pl.Float64)
    r = k.cast(pl.Float64) / n_f
    z2 = z * z
    denom = 1 + z2 / n_f
    centre = (r + z2 / (2 * n_f)) / denom
    half = z * (r * (1 - r) / n_f + z2 / (4 * n_f * n_f)).sqrt() / denom
    valid = n > 0
    lo = pl.when(valid).then(pl.max_horizontal(pl.lit(0.0), centre - half))
    hi = pl.when(valid).then(pl.min_horizontal(pl.lit(1.0), centre + half))
    return lo, hi


def wilson_interval(k: int, n: int, *, z: float) -> tuple[float, float] | None:
    """The Wilson score interval of k in n as plain floats (None when n = 0)."""
    frame = pl.DataFrame({"k": [k], "n": [n]}, schema={"k": pl.Int64, "n": pl.Int64})
    lo, hi = wilson(pl.col("k"), pl.col("n"), z=z)
    row = frame.select(lo=lo, hi=hi).row(0)
    return None if row[0] is None else (row[0], row[1])

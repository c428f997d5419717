"""The health policy: every threshold of docs/health.md in one immutable object.

A marketplace tunes these numbers; the explanation shown to users quotes the values that
were actually used, so nothing here is duplicated elsewhere in the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEALTH_LEVELS: tuple[str, ...] = (
    "excellent",
    "good",
    "fair",
    "poor",
    "very_poor",
    "insufficient_feedback",
    "no_recent_sales",
)
HEALTH_LABELS: dict[str, str] = {
    "excellent": "Excellent",
    "good": "Good",
    "fair": "Fair",
    "poor": "Poor",
    "very_poor": "Very poor",
    "insufficient_feedback": "Insufficient feedback",
    "no_recent_sales": "No recent sales",
}
# Worst first: the order the offers grid and reports sort by.
HEALTH_RANK: dict[str, int] = {
    "very_poor": 0,
    "poor": 1,
    "fair": 2,
    "insufficient_feedback": 3,
    "good": 4,
    "excellent": 5,
    "no_recent_sales": 6,
}
# What the page shows: a deleted listing keeps its last health (in words beside it) but is
# shown and counted as "Listing deleted", in grey, never as a coloured level.
DELETED = "listing_deleted"
SHOWN_LEVELS: tuple[str, ...] = (*HEALTH_LEVELS, DELETED)
SHOWN_RANK: dict[str, int] = {**HEALTH_RANK, DELETED: len(HEALTH_RANK)}
PEER_LEVELS: tuple[str, ...] = ("price_band", "subcategory", "category", "all")
WINDOWS: tuple[int, ...] = (30, 60, 90, 180, 365)


@dataclass(frozen=True)
class Policy:
    """Thresholds for NCX rate, peer groups and health (defaults from docs/health.md)."""

    window_days: int = 90
    min_peer_offers: int = 20  # offers in a peer group, the offer itself included
    min_other_sellers: int = 5  # other sellers in the group (own seller plus 5 = 6)
    peer_rate_floor: float = 0.001
    z: float = 1.645  # 90 % two-sided Wilson interval
    very_poor_factor: float = 2.0  # lo >= factor * peer rate
    excellent_factor: float = 0.5  # hi <= factor * peer rate
    min_commented_ncx_orders: int = 3
    return_lag_days: int = 30  # weeks younger than this are "still maturing"
    # Early warning (docs/health.md, "At risk"): a recent surge over the last
    # risk_recent_days days with at least risk_min_recent_ncx NCX orders, or at least
    # risk_cluster_orders NCX orders of one theme within risk_cluster_days days.
    risk_recent_days: int = 30
    risk_min_recent_ncx: int = 2
    risk_cluster_orders: int = 3
    risk_cluster_days: int = 7
    # Lower bounds of the price bands (currency units, lower bound inclusive).
    price_band_edges: tuple[float, ...] = field(default=(10.0, 25.0, 50.0, 100.0, 250.0))

    @property
    def interval_percent(self) -> int:
        """The confidence level of the interval for z (1.645 -> 90)."""
        from math import erf, sqrt

        return round(erf(self.z / sqrt(2)) * 100)

    def price_band_labels(self) -> list[str]:
        """Labels of the bands in order, e.g. ['<10', '10-25', ..., '>=250']."""
        edges = [_fmt_edge(e) for e in self.price_band_edges]
        labels = [f"<{edges[0]}"]
        labels += [f"{lo}-{hi}" for lo, hi in zip(edges, edges[1:], strict=False)]
        labels.append(f">={edges[-1]}")
        return labels


def _fmt_edge(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


DEFAULT_POLICY = Policy()

"""UI benchmark: server-side latency of the page's callbacks, called directly (no HTTP).

    python bench/ui.py [--calls 50] [--viewers seller,cm] [--json FILE]

Each callback is called through ``app.callback_map[...]["callback"].__wrapped__`` (the
plain function under Dash's wrapper), with the values the browser would send. Two viewers:

- ``seller``: the demo seller (S-DEMO, 150 offers) on the default demo store
  (``build_demo`` at scale 1: 5,050 offers, 718k order lines);
- ``cm``: a category manager over all categories of the ``cm200k`` store
  (bench/datagen.py: ~216k offers, ~2.4M order lines, few orders per offer).

Interactions (each timed as one unit, the callbacks run one after the other):

- filter change: ``update_grid_query`` + ``update_grid_rows`` (first block of 100);
- tile click: ``update_tiles`` + ``update_grid_query`` + first grid block (the work a
  tile click causes; ``update_page_state`` is timed in the "full chain" rows);
- row click: ``update_offer_detail`` + ``update_comments`` for a selected offer;
- grid paging: ``update_grid_rows`` for a random block of 100 rows under a random sort;
- "full chain" rows add what else the browser fires for the same click:
  ``update_page_state`` (with a faked ``dash.ctx``), ``update_comments`` for the
  filtered offers, ``update_peer_view`` (category managers only);
- scope change: a new as-of day, so the per-(as-of, window) health cache misses by design.

Inputs vary between calls (random filters, tiles, offers, blocks and sorts, seeded).
"Cold" is the first call of that interaction in a fresh process right after
``create_app`` (health cache empty, so it includes computing every offer's health);
the p50/p95 runs come after one warm-up call that fills the health cache (and, in the
background, the trend index of that day; calls wait for such background work to end
before the next one starts, outside the timing).
Latency is wall-clock; on a loaded machine (see the load average) it includes waiting
for a core, so the CPU column (process CPU time, all threads) is shown too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

import common  # noqa: E402  (bench/common.py)
import datagen  # noqa: E402  (bench/datagen.py)

VIEWERS = {
    "seller": {"store": "demo", "view": "S-DEMO", "cats": None, "target_ms": 100},
    "cm": {"store": "cm200k", "view": "cm", "cats": [], "target_ms": 250},
}
SCENARIOS = (
    "filter_change",
    "tile_click",
    "row_click",
    "grid_paging",
    "comments",
    "filter_change_chain",
    "tile_click_chain",
    "row_click_chain",
    "scope_change",
)
LABELS = {
    "filter_change": ("filter change", "grid_query + grid_rows[0:100]"),
    "tile_click": ("tile click", "tiles + grid_query + grid_rows[0:100]"),
    "row_click": ("row click", "offer_detail + comments(offer)"),
    "grid_paging": ("grid paging", "grid_rows (random block of 100, random sort)"),
    "comments": ("comments of the filtered offers", "comments(filtered), after a filter change"),
    "filter_change_chain": (
        "filter change, full chain",
        "page_state + grid_query + grid_rows + comments(filtered)",
    ),
    "tile_click_chain": (
        "tile click, full chain",
        "page_state + tiles + grid_query + grid_rows + comments(filtered)",
    ),
    "row_click_chain": (
        "row click, full chain",
        "page_state + offer_detail + comments + peer_view",
    ),
    "scope_change": ("as-of change (health cache miss)", "tiles at a new as-of day"),
}
MAIN = ("filter_change", "tile_click", "row_click", "grid_paging")
SCOPE_CALLS = 8  # each computes every offer's health: keep it short
SORT_COLUMNS = (
    "title",
    "asin",
    "sku",
    "fulfilment",
    "health_rank",
    "ncx_rate",
    "orders",
    "peer_rate",
    "x_peers",
    "top_ncx_reason",
    "last_updated",
    "closed_at",
    "status",
    "seller_id",
)
WINDOW = 90


# --- the worker: one app in this process ---------------------------------------------------


class Bench:
    """One app over one store, the callbacks by name and varied inputs."""

    def __init__(
        self, viewer: str, seed: int = 11, *, store_root: Path | None = None, warm: bool = False
    ) -> None:
        """``viewer``: a key of VIEWERS; ``store_root``: another store folder than the viewer's
        (bench/scale.py); ``warm``: ``create_app(..., warm=True)``, as a served worker
        starts (serving/gunicorn.py), so the first call finds the caches filled."""
        import app as app_module
        from callbacks import state as st
        from callbacks.offers import FILTER_FIELDS
        from engine import store
        from engine.generations import connect_live
        from engine.policy import DEFAULT_POLICY, HEALTH_LEVELS
        from layouts.theme import TILE_LEVELS

        cfg = VIEWERS[viewer]
        self.cfg = cfg
        self.st = st
        self.filter_fields = FILTER_FIELDS  # update_grid_query's filter arguments, in order
        self.path = Path(store_root) if store_root is not None else datagen.store_path(cfg["store"])
        t0 = time.perf_counter()
        self.app = app_module.create_app(self.path, warm=warm)
        self.app_start_ms = (time.perf_counter() - t0) * 1000
        self.cb = {}
        for entry in self.app.callback_map.values():
            fn = getattr(entry.get("callback"), "__wrapped__", None)
            if fn is not None:
                self.cb[fn.__name__] = fn
        con = connect_live(self.path)
        try:
            self.latest = store.latest_day(con)
            self.version = store.data_version(con)  # what the page holds in its store
            where = "WHERE seller_id = ?" if cfg["view"] != "cm" else "WHERE ? IS NOT NULL"
            rows = con.execute(
                f"SELECT seller_id, sku, title, category, subcategory FROM offers {where} "
                "ORDER BY seller_id, sku",
                [cfg["view"]],
            ).fetchall()
        finally:
            con.close()
        self.as_of = self.latest.isoformat()
        self.offer_keys = [f"{r[0]}|{r[1]}" for r in rows]
        self.categories = sorted({r[3] for r in rows if r[3]})
        self.subs = sorted({(r[3], r[4]) for r in rows if r[3] and r[4]})
        words = {w.lower().strip(",.()") for r in rows[:5000] if r[2] for w in r[2].split()}
        self.words = sorted(w for w in words if len(w) >= 4)
        self.bands = [*DEFAULT_POLICY.price_band_labels(), "unknown"]
        self.levels = list(HEALTH_LEVELS)
        self.tile_ids = [  # as layouts/page.py draws them
            {"type": "health-tile", "level": lv}
            for lv in [*TILE_LEVELS, "action_required", "at_risk"]
        ]
        self.rng = random.Random(seed)
        self.scope_day = 0
        self._payload: str | None = None
        self._totals: dict[str, int] = {}

    # inputs ---------------------------------------------------------------------------

    @property
    def scope(self) -> tuple:
        return self.cfg["view"], self.cfg["cats"], self.as_of, WINDOW, self.version

    def random_filters(self) -> dict:
        r = self.rng
        cats = r.sample(self.categories, k=min(len(self.categories), r.choice([0, 0, 1, 2])))
        subs = [s for c, s in self.subs if c in cats and r.random() < 0.3]
        return {
            "health": r.sample(self.levels, k=r.choice([0, 1, 1, 2])),
            "action_required": ["yes"] if r.random() < 0.1 else [],
            "at_risk": ["yes"] if r.random() < 0.05 else [],
            "categories": cats,
            "subcategories": subs,
            "price_bands": r.sample(self.bands, k=r.choice([0, 0, 1])),
            "fulfilment": r.choice([[], [], ["FBA"], ["MFN"]]),
            "statuses": r.choice([[], [], [], ["active"], ["closed"], ["deleted"]]),
            "with_comments": ["yes"] if r.random() < 0.2 else [],
            "search": r.choice(self.words) if self.words and r.random() < 0.25 else "",
        }

    def tile_filters(self) -> dict:
        level = self.rng.choice([*self.levels, "action_required", "at_risk"])
        blank = self._blank()
        if level in ("action_required", "at_risk"):
            return {**blank, level: ["yes"]}
        return {**blank, "health": [level]}

    def controls(self, filters: dict, offer: str = "") -> list:
        """Values in callbacks.state.CONTROLS order, then the page's data version (the
        State that ``update_page_state`` takes after the controls)."""
        view, cats, as_of, window, _version = self.scope
        values = {
            **filters,
            "view": view,
            "cm_categories": cats,
            "as_of": as_of,
            "window": window,
            "sort": "",
            "offer": offer,
            "resolve": False,
        }
        return [*(values[name] for _id, _prop, name in self.st.CONTROLS), self.version]

    # callbacks ------------------------------------------------------------------------

    def _timed(self, parts: dict, name: str, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        parts[name] = parts.get(name, 0.0) + (time.perf_counter() - t0) * 1000
        return out

    def page_state(self, parts: dict, prop_id: str, value, controls: list, cell=None):
        """``update_page_state`` as the browser fires it for ``prop_id`` (its inputs: the
        URL's search, tiles, clear, the grid's cellClicked, cellRendererData, eventData,
        peer-offer clicks, then the controls and the data version)."""
        from dash._callback_context import context_value
        from dash._utils import AttributeDict

        token = context_value.set(
            AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}])
        )
        try:
            return self._timed(
                parts,
                "page_state",
                self.cb["update_page_state"],
                "",
                None,
                None,
                cell,
                None,
                None,
                None,
                *controls,
            )
        finally:
            context_value.reset(token)

    def grid_query(self, parts: dict, filters: dict) -> str:
        payload, _count = self._timed(
            parts,
            "grid_query",
            self.cb["update_grid_query"],
            *self.scope,
            *[filters[k] for k in self.filter_fields],
        )
        return payload

    def grid_rows(
        self, parts: dict, payload: str, start: int = 0, sort: list | None = None
    ) -> dict:
        request = {
            "startRow": start,
            "endRow": start + 100,
            "sortModel": sort or [],
            "filterModel": {},
        }
        rows, _count = self._timed(
            parts, "grid_rows", self.cb["update_grid_rows"], request, payload, ""
        )
        return rows

    def comments(self, parts: dict, offer: str | None, payload: str | None) -> None:
        self._timed(
            parts,
            "comments",
            self.cb["update_comments"],
            offer,
            False,
            payload,
            None,
            None,
            None,
            None,
            None,
            *self.scope,
        )

    def tiles(self, parts: dict, filters: dict, scope: tuple | None = None) -> None:
        self._timed(
            parts,
            "tiles",
            self.cb["update_tiles"],
            *(scope or self.scope),
            filters["health"],
            filters["action_required"],
            filters["at_risk"],
            self.tile_ids,
        )

    # interactions ---------------------------------------------------------------------

    def run(self, scenario: str) -> dict:
        """One interaction, timed; a ``prep_<scenario>`` method makes its inputs first,
        outside the timing."""
        parts: dict[str, float] = {}
        prepare = getattr(self, "prep_" + scenario, None)
        args = prepare() if prepare is not None else ()
        settle()
        cpu0, t0 = time.process_time(), time.perf_counter()
        getattr(self, "do_" + scenario)(parts, *args)
        out = {
            "ms": (time.perf_counter() - t0) * 1000,
            "cpu_ms": (time.process_time() - cpu0) * 1000,
            "parts": parts,
        }
        settle()
        return out

    def do_filter_change(self, parts: dict) -> None:
        payload = self.grid_query(parts, self.random_filters())
        self.grid_rows(parts, payload)

    def do_tile_click(self, parts: dict) -> None:
        filters = self.tile_filters()
        self.tiles(parts, filters)
        payload = self.grid_query(parts, filters)
        self.grid_rows(parts, payload)

    def do_row_click(self, parts: dict) -> None:
        offer = self.rng.choice(self.offer_keys)
        self._timed(parts, "offer_detail", self.cb["update_offer_detail"], offer, *self.scope)
        self.comments(parts, offer, self._default_payload())

    def do_grid_paging(self, parts: dict) -> None:
        payload = self._default_payload()
        total = self._totals.get(payload)
        if total is None:
            total = self.grid_rows({}, payload)["rowCount"]
            self._totals[payload] = total
        start = self.rng.randrange(0, max(total, 1), 100) if total > 100 else 0
        sort = [{"colId": self.rng.choice(SORT_COLUMNS), "sort": self.rng.choice(["asc", "desc"])}]
        self.grid_rows(parts, payload, start, sort)

    def prep_comments(self) -> tuple[str]:
        """The grid query of random filters (the filter change before it, not timed)."""
        return (self.grid_query({}, self.random_filters()),)

    def do_comments(self, parts: dict, payload: str) -> None:
        self.comments(parts, None, payload)

    def do_filter_change_chain(self, parts: dict) -> None:
        filters = self.random_filters()
        self.page_state(parts, "filter-health.value", filters["health"], self.controls(filters))
        payload = self.grid_query(parts, filters)
        self.grid_rows(parts, payload)
        self.comments(parts, None, payload)

    def do_tile_click_chain(self, parts: dict) -> None:
        filters = self.tile_filters()
        level = (
            next((k for k in ("action_required", "at_risk") if filters[k]), None)
            or filters["health"][0]
        )
        prop = (
            json.dumps({"level": level, "type": "health-tile"}, separators=(",", ":")) + ".n_clicks"
        )
        blank = {k: ([] if k != "search" else "") for k in filters}
        self.page_state(parts, prop, 1, self.controls(blank))
        self.tiles(parts, filters)
        payload = self.grid_query(parts, filters)
        self.grid_rows(parts, payload)
        self.comments(parts, None, payload)

    def do_row_click_chain(self, parts: dict) -> None:
        offer = self.rng.choice(self.offer_keys)
        blank = self._blank()
        cell = {"rowId": offer, "colId": "title"}
        self.page_state(parts, "offers-grid.cellClicked", cell, self.controls(blank), cell=cell)
        self._timed(parts, "offer_detail", self.cb["update_offer_detail"], offer, *self.scope)
        self.comments(parts, offer, self._default_payload())
        self._timed(parts, "peer_view", self.cb["update_peer_view"], offer, *self.scope)

    def do_scope_change(self, parts: dict) -> None:
        from datetime import timedelta

        self.scope_day += 1  # a day not computed yet in this process
        day = (self.latest - timedelta(days=self.scope_day)).isoformat()
        view, cats, _as_of, window, version = self.scope
        self.tiles(parts, self._blank(), (view, cats, day, window, version))

    # helpers --------------------------------------------------------------------------

    def _blank(self) -> dict:
        """No filter: every field of ``update_grid_query`` empty."""
        return {k: ("" if k == "search" else []) for k in self.filter_fields}

    def _default_payload(self) -> str:
        if self._payload is None:
            self._payload = self.grid_query({}, self._blank())
        return self._payload


def settle() -> None:
    """Wait for the service's background work (a health fill starts building that day's
    trend index): calls are timed one at a time, as a user clicking after reading the page,
    not while the previous call's prefetch still runs."""
    for thread in threading.enumerate():
        if thread.name == "trend-index":
            thread.join()


def measure(bench: Bench, scenarios: list[str], calls: int, scope_calls: int = SCOPE_CALLS) -> dict:
    """One warm-up tile click (it fills the health cache of the default as-of day), then
    ``calls`` of each scenario (``scope_calls`` of ``scope_change``, each of which computes
    every offer's health). Returns ``warmup_ms`` and the samples per scenario."""
    warm = bench.run("tile_click")
    out = {"warmup_ms": warm["ms"], "scenarios": {}}
    for scenario in scenarios:
        n = min(calls, scope_calls) if scenario == "scope_change" else calls
        out["scenarios"][scenario] = [bench.run(scenario) for _ in range(n)]
    return out


def worker(task: dict) -> dict:
    """``viewer``, ``mode`` (cold: the first ``scenario`` call; warm: ``measure``), and
    optionally ``store`` (a store folder instead of the viewer's) and ``warm_app``
    (``create_app(warm=True)``, as a served worker). Adds the process's peak RSS."""
    bench = Bench(task["viewer"], store_root=task.get("store"), warm=task.get("warm_app", False))
    if task["mode"] == "cold":
        out = {"app_start_ms": bench.app_start_ms, **bench.run(task["scenario"])}
    else:
        out = {
            "app_start_ms": bench.app_start_ms,
            **measure(
                bench, task["scenarios"], task["calls"], task.get("scope_calls", SCOPE_CALLS)
            ),
        }
    return {**out, "rss_mb": common.rss_mb()}


# --- the parent --------------------------------------------------------------------------


def run_worker(task: dict) -> dict:
    return common.run_worker(__file__, task)


def code_fingerprint() -> str:
    """A hash of the app's source (others edit it while benchmarks run)."""
    return common.source_fingerprint("app.py", "engine", "callbacks", "layouts")


def pct(xs: list[float], q: float) -> float:
    """Percentile with linear interpolation (numpy's default)."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def render(results: dict, info: dict) -> str:
    lines = [
        "## UI benchmark (server-side callback latency, ms)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; app source "
        f"{info['code']}" + (f". **Warning: {info['warning']}**" if info.get("warning") else ""),
        "",
    ]
    for viewer, res in results.items():
        m = datagen.manifest(VIEWERS[viewer]["store"]) or {}
        rows = m.get("rows", {})
        lines.append(
            f"- `{viewer}` ({VIEWERS[viewer]['view']}): store `{VIEWERS[viewer]['store']}` "
            f"with {rows.get('offers', 0):,} offers, {rows.get('orders', 0):,} order lines, "
            f"{rows.get('feedback', 0):,} feedback events, {m.get('sellers', 0):,} sellers; "
            f"create_app {res['warm']['app_start_ms']:.0f} ms, first call (health cache fill) "
            f"{res['warm']['warmup_ms']:.0f} ms; load average {res['warm']['load']:.1f} at start"
        )
    lines += [
        "",
        "| Viewer | Interaction | Callbacks | Calls | p50 | p95 | max | CPU p50 | "
        "Cold (fresh process) | Target p95 | Met |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for viewer, res in results.items():
        target = VIEWERS[viewer]["target_ms"]
        for scenario, samples in res["warm"]["scenarios"].items():
            ms = [s["ms"] for s in samples]
            cpu = [s["cpu_ms"] for s in samples]
            cold = res["cold"].get(scenario)
            label, what = LABELS[scenario]
            main = scenario in MAIN
            p95 = pct(ms, 0.95)
            lines.append(
                f"| {viewer} | {label} | {what} | {len(ms)} | {pct(ms, 0.5):.0f} | {p95:.0f} | "
                f"{max(ms):.0f} | {pct(cpu, 0.5):.0f} | {f'{cold:.0f}' if cold is not None else '—'} | "
                f"{f'≤ {target}' if main else ''} | {('yes' if p95 <= target else '**no**') if main else ''} |"
            )
    lines += [
        "",
        "Per-callback p50 / p95 (ms) within each interaction:",
        "",
        "| Viewer | Interaction | Callback p50 / p95 |",
        "|---|---|---|",
    ]
    for viewer, res in results.items():
        for scenario, samples in res["warm"]["scenarios"].items():
            names = sorted({k for s in samples for k in s["parts"]})
            cells = []
            for name in names:
                vals = [s["parts"].get(name, 0.0) for s in samples]
                cells.append(f"{name} {pct(vals, 0.5):.0f} / {pct(vals, 0.95):.0f}")
            lines.append(f"| {viewer} | {LABELS[scenario][0]} | {', '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--calls", type=int, default=50, help="calls per interaction (default 50)")
    p.add_argument("--viewers", default="seller,cm")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--no-cold", action="store_true", help="skip the fresh-process first calls")
    p.add_argument("--json", type=Path, help="also write the raw samples here")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the JSON line
            result = worker(json.loads(args.worker))
        print(json.dumps(result))
        return 0

    scenarios = [s for s in args.scenarios.split(",") if s]
    info = {"code": code_fingerprint()}
    results = {}
    for viewer in [v for v in args.viewers.split(",") if v]:
        datagen.ensure(VIEWERS[viewer]["store"])
        cold = {}
        if not args.no_cold:
            for scenario in scenarios:
                if scenario == "scope_change":
                    continue  # every call of it is cold by construction
                try:
                    r = run_worker({"viewer": viewer, "mode": "cold", "scenario": scenario})
                except RuntimeError as err:
                    print(
                        f"[ui] {viewer} cold {scenario} FAILED: {err}", file=sys.stderr, flush=True
                    )
                    continue
                cold[scenario] = r["ms"]
                print(
                    f"[ui] {viewer} cold {scenario}: {r['ms']:.0f} ms", file=sys.stderr, flush=True
                )
        try:
            warm = run_worker(
                {"viewer": viewer, "mode": "warm", "calls": args.calls, "scenarios": scenarios}
            )
        except RuntimeError as err:
            print(f"[ui] {viewer} warm runs FAILED: {err}", file=sys.stderr, flush=True)
            continue
        for scenario, samples in warm["scenarios"].items():
            ms = [s["ms"] for s in samples]
            print(
                f"[ui] {viewer} {scenario}: p50 {statistics.median(ms):.0f} ms, "
                f"p95 {pct(ms, 0.95):.0f} ms",
                file=sys.stderr,
                flush=True,
            )
        results[viewer] = {"cold": cold, "warm": warm}
    now = code_fingerprint()
    if now != info["code"]:
        info["warning"] = f"app source changed during the run ({info['code']} -> {now})"
    print(render(results, info))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

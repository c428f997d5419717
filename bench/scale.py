"""Scale benchmark (issue 11): the whole path at 1M, 10M and 50M order lines in one run.

    python bench/scale.py [--sizes 1m,10m,50m] [--quick] [--calls 30] [--json FILE]
                          [--out FILE] [--skip import,one_day,asof,pandas,serve,cold,spark]

Prints a markdown table (one column per size) and the targets of issue 11's "Done when"
beside the measured values. Every measurement runs in a fresh Python process, through
the worker of the script that already measures it (``common.run_worker``):

- **import + refresh** (bench/engine.py ``import``): the size's canonical Parquet files
  into a new, empty store folder with ``pipeline.import_into_store``: wall, CPU and the
  importing process's peak RSS (``VmHWM``), with its parts (``common.import_parts``), of
  which ``health.write_snapshot`` (the snapshot). That store is the one every later row
  uses (``--skip import``: datagen's cached ``<size>-store`` instead);
- **one-day import** (bench/imports.py ``one_day``): the last day's orders and feedback
  moved one day later with new ids (``imports.ensure_day``), as canonical CSV, into a copy
  of that store (the copy not timed), then the same files again (nothing may change);
- **snapshot read** (this file, ``snapshot``): a fresh process opens the store and reads
  every offer's health for the latest day and default window from the stored snapshot,
  as the page and ``report`` do (``health.offer_health(con)``);
- **as-of change** (this file, ``asof``): ``health.offer_health(con, as_of=day,
  stored=False)`` for an arbitrary earlier day (seeded: 7 to 180 days before the latest),
  cold (a fresh process: connection included) and then warm (the same process, each time
  another day). The page's own as-of change (``update_tiles`` at a new day, through the
  service's caches) is the ``scope_change`` row of the serving worker;
- **serving worker** (bench/ui.py, with ``store`` and ``warm_app``): a fresh process runs
  ``create_app(store, warm=True)`` as a served worker does (serving/gunicorn.py), then
  the callbacks, called directly, ``--calls`` times each with varied inputs (seeded): filter
  change, tile click, row click, grid page with a new sort, comments of the filtered
  offers, and a few as-of changes; as a category manager over all categories (``cm``) and
  as the featured seller ``S-DEMO`` (150 offers at every size). p50/p95 and the worker's
  peak RSS; "first call" is each interaction's first call in another fresh worker;
- **the data analyst's way** (bench/analyst.py, at 1m and 10m): a plain pandas script
  computing every offer's health from the raw canonical files on every request (read,
  classify with the project's Python reference ``engine.themes.classify`` / ``counted``,
  windows, peers with widening, Wilson interval, rules), timed per request, its result
  compared offer by offer with the project's for the same days (health, orders, NCX
  orders, peer level, peer offers, rates: all must be equal), and the ratio pandas ÷
  project;
- **the derivation on Spark** (bench/spark.py, at ``SPARK_SIZES``): the store exported
  to a lake, then ``derive --engine duckdb`` and ``derive --engine spark`` (local[*]),
  each a fresh process, wall time, and whether both wrote the same derived tables
  (``--skip spark``, or no pyspark installed, leaves it out; the demo scale:
  ``python bench/spark.py --sizes demo``).

The machine (``common.machine_info``) and the load average before and after the run are
printed; each row carries the 1-minute load average at its start in the JSON. Data: bench/
datagen.py size names (``50m`` keeps the demo's own ~5.7M events; it is generated once,
with ~15 GB of memory and many minutes). ``--quick``: 1m only, fewer calls, one pandas
request.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # before bench/, so `engine` is the package, not bench/engine.py

import common  # noqa: E402  (bench/common.py)
import datagen  # noqa: E402  (bench/datagen.py)
import imports  # noqa: E402  (bench/imports.py: the one-day files and worker)
import ui  # noqa: E402  (bench/ui.py: the callbacks' worker)

ENGINE_PY = BENCH_DIR / "engine.py"
IMPORTS_PY = BENCH_DIR / "imports.py"
UI_PY = BENCH_DIR / "ui.py"
SPARK_PY = BENCH_DIR / "spark.py"
SPARK_SIZES = ("1m", "10m")
SEED = 1111
DEFAULT_SIZES = "1m,10m,50m"
PANDAS_SIZES = ("1m", "10m")
VIEWERS = ("cm", "seller")
INTERACTIONS = ("filter_change", "tile_click", "row_click", "grid_paging", "comments")
TIMEOUT_S = 3600.0
FRAME_COLUMNS = (
    "seller_id", "sku", "status", "e", "orders", "ncx_orders", "commented", "peer_level",
    "peer_offers", "peer_rate", "ci_low", "ci_high", "health",
)  # fmt: skip
EXACT = ("health", "status", "e", "orders", "ncx_orders", "commented", "peer_level", "peer_offers")
FLOATS = ("peer_rate", "ci_low", "ci_high")


def _say(msg: str) -> None:
    print(f"[scale] {msg}", file=sys.stderr, flush=True)


# --- workers (run in a fresh process) ----------------------------------------------------


def _project_frame(frame):
    import polars as pl

    return frame.select(*FRAME_COLUMNS).with_columns(pl.col("e").cast(pl.Date))


def worker(task: dict) -> dict:
    kind = task["kind"]
    from engine import health, store  # imported before the clock starts
    from engine.generations import connect_live

    if kind == "snapshot":
        cpu0, t0 = common.cpu_seconds(), time.perf_counter()
        con = connect_live(Path(task["store"]))
        try:
            day = store.latest_day(con)
            frame = health.offer_health(con)  # the stored snapshot when it answers
            wall = time.perf_counter() - t0
            stored = (
                store.has_table(con, health.SNAPSHOT_TABLE)
                and con.execute(
                    f"SELECT min(as_of) = ? FROM {health.SNAPSHOT_TABLE}", [day]
                ).fetchall()[0][0]
            )
        finally:
            con.close()
        return {
            "wall": wall,
            "cpu": common.cpu_seconds() - cpu0,
            "rss_mb": common.rss_mb(),
            "offers": frame.height,
            "from_snapshot": stored,
        }

    if kind == "asof":
        out_dir = Path(task["out"])
        cpu0, t0 = common.cpu_seconds(), time.perf_counter()
        con = connect_live(Path(task["store"]))
        try:
            connected = time.perf_counter() - t0
            latest = store.latest_day(con)
            days = [latest - timedelta(days=d) for d in task["offsets"]]
            walls, offers = [], []
            for i, day in enumerate(days):
                t1 = time.perf_counter()
                frame = health.offer_health(con, as_of=day, stored=False)
                walls.append(time.perf_counter() - (t0 if i == 0 else t1))
                if i == 0:
                    cold_cpu = common.cpu_seconds() - cpu0
                offers.append(frame.height)
                if i < task["keep"]:
                    _project_frame(frame).write_parquet(out_dir / f"project-{day}.parquet")
        finally:
            con.close()
        return {
            "wall": walls[0],
            "cpu": cold_cpu,
            "connect": connected,
            "warm": walls[1:],
            "days": [str(d) for d in days],
            "latest": str(latest),
            "offers": offers,
            "rss_mb": common.rss_mb(),
        }

    if kind == "pandas":
        import analyst
        import pandas  # noqa: F401  (imported before the clock starts, like the engine)
        import polars as pl

        files = {t: Path(p) for t, p in task["files"].items()}
        requests, checks = [], []
        for day_text in task["days"]:
            day = date.fromisoformat(day_text)
            cpu0, t0 = common.cpu_seconds(), time.perf_counter()
            frame, seconds = analyst.offer_health(files, day)
            wall = time.perf_counter() - t0
            requests.append({"day": day_text, "wall": wall, "cpu": common.cpu_seconds() - cpu0,
                             "parts": seconds})  # fmt: skip
            project = pl.read_parquet(Path(task["out"]) / f"project-{day}.parquet")
            checks.append({"day": day_text, **compare(project, pl.from_pandas(frame))})
        return {
            "wall": statistics.median(r["wall"] for r in requests),
            "cpu": statistics.median(r["cpu"] for r in requests),
            "rss_mb": common.rss_mb(),
            "requests": requests,
            "checks": checks,
            "pandas": pandas.__version__,
        }

    raise ValueError(f"unknown worker task {kind!r}")


def compare(project, mine) -> dict:
    """Offer by offer: how many offers both have, those only one has, and per column the
    offers whose values differ (floats compared exactly, null equal to null)."""
    import polars as pl

    joined = project.join(
        mine.with_columns(pl.col("e").cast(pl.Date)), on=["seller_id", "sku"], how="full",
        suffix="_pd", coalesce=True,
    )  # fmt: skip
    only_project = joined.filter(pl.col("health_pd").is_null()).height
    only_pandas = joined.filter(pl.col("health").is_null()).height
    both = joined.filter(pl.col("health").is_not_null() & pl.col("health_pd").is_not_null())
    differ = {
        c: both.filter(pl.col(c).ne_missing(pl.col(f"{c}_pd"))).height for c in (*EXACT, *FLOATS)
    }
    bad = both.filter(pl.col("health") != pl.col("health_pd"))
    return {
        "compared": both.height,
        "only_project": only_project,
        "only_pandas": only_pandas,
        "mismatches": bad.height + only_project + only_pandas,
        "differ": differ,
        "examples": bad.head(5).to_dicts() if bad.height else [],
    }


# --- the parent: run workers, collect, print ---------------------------------------------


def run(script: Path, task: dict, timeout: float, label: str) -> dict:
    """One worker; a failure is reported and returned as ``{"error": ...}``."""
    t0 = time.perf_counter()
    try:
        r = common.run_worker(script, task, timeout=timeout)
    except RuntimeError as err:
        lines = [ln for ln in str(err).splitlines() if ln.strip()]
        _say(f"  {label} FAILED:\n" + "\n".join(lines[-25:]))
        last = next((ln for ln in reversed(lines) if "Error" in ln), lines[-1] if lines else "")
        return {"error": last[:200]}
    _say(f"  {label}: done in {time.perf_counter() - t0:.1f} s (load {r['load']:.1f})")
    return r


def offsets(size: str, n: int) -> list[int]:
    """``n`` distinct days back from the latest (7 to 180), seeded per size."""
    return random.Random(f"{SEED}-{size}").sample(range(7, 181), n)


def measure_size(size: str, args, tmp: Path) -> dict:
    res: dict = {"size": size}
    files = datagen.ensure_files(size)
    res["data"] = files
    parquet = {t: str(p) for t, p in datagen.files_of(size, "parquet").items()}
    timeout = args.timeout

    if "import" in args.skip:
        _say(f"{size}: using datagen's cached {size}-store (--skip import)")
        res["store_info"] = datagen.ensure(f"{size}-store")
        root = datagen.store_path(f"{size}-store")
    else:
        root = tmp / f"{size}-store"
        _say(f"{size}: import + refresh of the Parquet files into an empty store folder")
        res["import"] = run(ENGINE_PY, {"kind": "import", "files": parquet, "store": str(root)},
                            timeout, f"{size} import")  # fmt: skip
        if "error" in res["import"]:
            return res

    _say(f"{size}: reading the stored snapshot in a fresh process")
    res["snapshot"] = run(Path(__file__), {"kind": "snapshot", "store": str(root)}, timeout,
                          f"{size} snapshot read")  # fmt: skip

    pandas_requests = args.pandas_requests if size in args.pandas_sizes else 0
    frames = tmp / f"{size}-frames"
    frames.mkdir(exist_ok=True)
    if "asof" not in args.skip:
        _say(f"{size}: health of every offer at earlier as-of days (cold, then warm)")
        res["asof"] = run(
            Path(__file__),
            {"kind": "asof", "store": str(root), "offsets": offsets(size, 1 + args.warm),
             "keep": max(1, pandas_requests), "out": str(frames)},
            timeout, f"{size} as-of",
        )  # fmt: skip

    if pandas_requests and "pandas" not in args.skip and "days" in res.get("asof", {}):
        days = res["asof"]["days"][:pandas_requests]
        _say(f"{size}: the pandas script, {len(days)} request(s) at {', '.join(days)}")
        res["pandas"] = run(Path(__file__),
                            {"kind": "pandas", "files": parquet, "days": days, "out": str(frames)},
                            timeout, f"{size} pandas")  # fmt: skip
        for check in res["pandas"].get("checks", []):
            _say(
                f"  {size} pandas vs project at {check['day']}: {check['compared']:,} offers "
                f"compared, {check['mismatches']} mismatches; differing values {check['differ']}"
            )

    if "one_day" not in args.skip:
        day = imports.ensure_day(size)
        copy = tmp / f"{size}-one-day"
        t0 = time.perf_counter()
        datagen.copy_store(root, copy)
        _say(f"{size}: one-day import ({day['rows']}) into a copy of the store "
             f"(copied in {time.perf_counter() - t0:.1f} s, not timed)")  # fmt: skip
        try:
            res["one_day"] = run(IMPORTS_PY, {"kind": "one_day", "store": str(copy), **day["paths"]},
                                 timeout, f"{size} one-day import")  # fmt: skip
        finally:
            shutil.rmtree(copy, ignore_errors=True)
        res["day"] = {k: v for k, v in day.items() if k != "paths"}

    if "spark" not in args.skip and size in SPARK_SIZES:
        _say(f"{size}: export, then derive on DuckDB and on Spark (local[*])")
        res["spark"] = run(SPARK_PY, {"store": str(root), "timeout": timeout}, timeout,
                           f"{size} derive spark vs duckdb")  # fmt: skip

    if "serve" not in args.skip:
        res["serve"] = {}
        for viewer in VIEWERS:
            _say(f"{size}: serving worker as {viewer}, {args.calls} calls of each interaction")
            task = {"viewer": viewer, "mode": "warm", "store": str(root), "warm_app": True,
                    "calls": args.calls, "scenarios": [*INTERACTIONS, "scope_change"],
                    "scope_calls": args.scope_calls}  # fmt: skip
            warm = run(UI_PY, task, timeout, f"{size} {viewer} serving worker")
            cold = {}
            if "cold" not in args.skip and "error" not in warm:
                for scenario in INTERACTIONS:
                    task = {"viewer": viewer, "mode": "cold", "scenario": scenario,
                            "store": str(root), "warm_app": True}  # fmt: skip
                    cold[scenario] = run(UI_PY, task, timeout, f"{size} {viewer} first {scenario}")
            res["serve"][viewer] = {"warm": warm, "cold": cold}
    return res


# --- rendering ---------------------------------------------------------------------------


def _ok(r: dict | None) -> bool:
    return bool(r) and "error" not in r


def _s(x: float | None) -> str:
    return common.fmt_s(x)


def _mb(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _failed(r: dict | None) -> str:
    if r is None:
        return "—"
    return f"FAILED: {r.get('error', '')[:80]}"


def _warm_samples(res: dict, viewer: str, scenario: str) -> list[float]:
    warm = res.get("serve", {}).get(viewer, {}).get("warm", {})
    return [s["ms"] for s in warm.get("scenarios", {}).get(scenario, [])] if _ok(warm) else []


def values(res: dict) -> dict:
    """The numbers of one size that the table and the targets read (None: not measured)."""
    v: dict = {}
    imp = res.get("import")
    if _ok(imp):
        v["import"] = imp["wall"]
        v["import_cpu"] = imp["cpu"]
        v["import_rss"] = imp["rss_mb"]
        v["snapshot_write"] = imp["parts"].get("snapshot")
    day = res.get("one_day")
    if _ok(day):
        v["one_day"] = day["wall"]
    asof = res.get("asof")
    if _ok(asof):
        v["asof_cold"] = asof["wall"]
        v["asof_warm"] = statistics.median(asof["warm"]) if asof["warm"] else None
    rss = [
        res["serve"][w]["warm"]["rss_mb"]
        for w in VIEWERS
        if _ok(res.get("serve", {}).get(w, {}).get("warm"))
    ]
    v["serve_rss"] = max(rss) if rss else None
    for viewer in VIEWERS:
        p95 = {s: ui.pct(ms, 0.95) for s in INTERACTIONS if (ms := _warm_samples(res, viewer, s))}
        if p95:
            worst = max(p95, key=p95.get)
            v[f"{viewer}_p95"] = p95[worst]
            v[f"{viewer}_worst"] = worst
    pd_ = res.get("pandas")
    if _ok(pd_) and _ok(asof):
        v["pandas"] = pd_["wall"]
        v["pandas_ratio"] = pd_["wall"] / asof["wall"]
        if asof["warm"]:
            v["pandas_ratio_warm"] = pd_["wall"] / statistics.median(asof["warm"])
        v["pandas_mismatches"] = sum(c["mismatches"] for c in pd_["checks"])
    return v


# (key, what, stated at size, bound, unit, "max" (value <= bound) or "min" (value >= bound))
TARGETS = (
    ("import", "50M order lines imported and refreshed (wall)", "50m", 60.0, "s", "max"),
    ("one_day", "a one-day import into the 50M store", "50m", 10.0, "s", "max"),
    ("import_rss", "peak memory of import", "50m", 4096.0, "MB", "max"),
    ("serve_rss", "peak memory of a serving worker", "50m", 2048.0, "MB", "max"),
    ("cm_p95", "category-manager callback p95 at 500,000 offers (worst interaction)",
     "50m", 150.0, "ms", "max"),
    ("seller_p95", "seller callback p95 (worst interaction)", "50m", 50.0, "ms", "max"),
    ("asof_warm", "as-of change (every offer's health at a new day, warm worker)",
     "50m", 1.0, "s", "max"),
    ("pandas_ratio", "health of every offer for an arbitrary as-of day: pandas ÷ project "
     "(project cold)", "10m", 20.0, "×", "min"),
)  # fmt: skip


def _value_text(key: str, x: float, unit: str, v: dict) -> str:
    if unit == "ms":
        return f"{x:.0f} ms ({v.get(key.replace('_p95', '_worst'), '')})"
    if unit == "MB":
        return f"{x:,.0f} MB"
    if unit == "×":
        return f"{x:.1f}×"
    return f"{_s(x)} s"


def render_targets(results: dict[str, dict]) -> list[str]:
    sizes = list(results)
    lines = [
        "",
        'Targets (issue 11, "Done when"; each is stated for one size, the other sizes are '
        "shown for the trend):",
        "",
        "| Target | Stated for | " + " | ".join(sizes) + " | Verdict |",
        "|---|---|" + "---:|" * len(sizes) + "---|",
    ]
    vals = {s: values(r) for s, r in results.items()}
    for key, what, at, bound, unit, kind in TARGETS:
        cells = []
        for s in sizes:
            x = vals[s].get(key)
            if x is None:
                cells.append("—")
                continue
            good = x <= bound if kind == "max" else x >= bound
            cells.append(f"{_value_text(key, x, unit, vals[s])} {'met' if good else 'missed'}")
        sign = "≤" if kind == "max" else "≥"
        x = vals.get(at, {}).get(key)
        if x is None:
            verdict = f"not measured at {at}"
        else:
            good = x <= bound if kind == "max" else x >= bound
            verdict = "**met**" if good else "**missed**"
        bound_text = f"{bound:g} {unit}" if unit != "×" else f"{bound:g}×"
        lines.append(
            f"| {what} {sign} {bound_text} | {at} | " + " | ".join(cells) + f" | {verdict} |"
        )
    return lines


def _parts(parts: dict, keys: tuple[str, ...]) -> str:
    return ", ".join(
        f"{k.replace('_', ' ')} {_s(parts[k])}" for k in keys if parts.get(k) is not None
    )


def render(info: dict, results: dict[str, dict]) -> str:
    sizes = list(results)
    lines = ["## Scale benchmark (issue 11)", ""]
    lines.append(
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory']}, Python "
        f"{info['python']}, duckdb {info['duckdb']}, polars {info['polars']}, pandas "
        f"{info.get('pandas', '?')}, {info['platform']}; app source {info['code']}. Load "
        f"average (1, 5, 15 min) before the run {info['load_before']}, after "
        f"{info.get('load_after', '?')}; run took {info.get('seconds', 0) / 60:.1f} min."
    )
    if info.get("warning"):
        lines.append(f"**Warning: {info['warning']}**")
    lines.append("")
    for s, r in results.items():
        d = r["data"]
        rows = d["rows"]
        lines.append(
            f"- `{s}`: {rows['orders']:,} order lines, {rows['feedback']:,} feedback events"
            + (f" (of {d['natural_events']:,} generated)" if d.get("natural_events", rows["feedback"]) != rows["feedback"] else "")
            + f", {rows['offers']:,} offers, {d['sellers']:,} sellers (demo scale {d['scale']})"
            + (f"; one day `{r['day']['day']}`: {r['day']['rows']['orders']:,} order lines, "
               f"{r['day']['rows']['feedback']:,} events" if r.get("day") else "")
        )  # fmt: skip
    lines += ["", "| Measurement | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]

    def row(label: str, cell) -> None:
        cells = []
        for s in sizes:
            try:
                cells.append(cell(results[s]))
            except (KeyError, TypeError, ValueError, IndexError, statistics.StatisticsError):
                cells.append("—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def imp(r):
        i = r["import"]
        return _failed(i) if not _ok(i) else f"**{_s(i['wall'])}** s, CPU {_s(i['cpu'])} s"

    def imp_parts(r):
        p = r["import"]["parts"]
        return _parts(p, ("open", "import", "refresh", "derived_sql", "snapshot", "deleted_health",
                          "commit", "publish"))  # fmt: skip

    row("import + refresh into an empty store (wall, CPU)", imp)
    row("… its parts, s", imp_parts)
    row("… peak RSS of the importing process, MB", lambda r: _mb(r["import"]["rss_mb"]))

    def one_day(r):
        d = r["one_day"]
        if not _ok(d):
            return _failed(d)
        again = d["again"]
        same = "unchanged" if again["same_generation"] and not again["changed"] else "**changed**"
        return (f"**{_s(d['wall'])}** s (CPU {_s(d['cpu'])} s; "
                + _parts(d["parts"], ("copy", "import", "refresh", "snapshot", "publish"))
                + f"); again: {_s(again['wall'])} s, {same}")  # fmt: skip

    row("one-day import into that store (wall)", one_day)

    def snap_write(r):
        return f"{_s(r['import']['parts']['snapshot'])} s in the import; " + (
            f"{_s(r['one_day']['parts']['snapshot'])} s in the one-day import"
            if _ok(r.get("one_day"))
            else ""
        )

    row("snapshot written (`health.write_snapshot` in refresh)", snap_write)

    def snap_read(r):
        x = r["snapshot"]
        if not _ok(x):
            return _failed(x)
        src = "from the snapshot" if x["from_snapshot"] else "**computed, no snapshot**"
        return f"{_s(x['wall'])} s, {x['offers']:,} offers {src}"

    row("snapshot read, fresh process (connect + latest day's health)", snap_read)

    def asof_cold(r):
        a = r["asof"]
        if not _ok(a):
            return _failed(a)
        return f"**{_s(a['wall'])}** s at {a['days'][0]} (connect {_s(a['connect'])}); {a['offers'][0]:,} offers"

    row("as-of change: every offer's health at an earlier day, cold (fresh process)", asof_cold)

    def asof_warm(r):
        a = r["asof"]
        w = a["warm"]
        return f"**{_s(statistics.median(w))}** s median ({_s(min(w))}–{_s(max(w))}, {len(w)} other days)"

    row("… warm (same process, another day each)", asof_warm)

    def serve_rss(r):
        sv = r["serve"]
        return " / ".join(_mb(sv[w]["warm"].get("rss_mb")) for w in VIEWERS)

    row(f"serving worker peak RSS, MB ({' / '.join(VIEWERS)})", serve_rss)

    def app_start(r):
        sv = r["serve"]
        return " / ".join(f"{sv[w]['warm']['app_start_ms'] / 1000:.1f}" for w in VIEWERS)

    row(f"… `create_app(warm=True)`, s ({' / '.join(VIEWERS)})", app_start)
    for viewer in VIEWERS:
        for scenario in (*INTERACTIONS, "scope_change"):

            def lat(r, viewer=viewer, scenario=scenario):
                ms = _warm_samples(r, viewer, scenario)
                if not ms:
                    w = r["serve"][viewer]["warm"]
                    return _failed(w) if not _ok(w) else "—"
                cold = r["serve"][viewer]["cold"].get(scenario)
                first = f"; first {cold['ms']:.0f}" if _ok(cold) else ""
                return f"{ui.pct(ms, 0.5):.0f} / **{ui.pct(ms, 0.95):.0f}**{first}"

            row(
                f"{viewer}: {ui.LABELS[scenario][0]}, p50 / p95 ms",
                lat,
            )

    def pandas_cell(r):
        p = r["pandas"]
        if not _ok(p):
            return _failed(p)
        walls = ", ".join(_s(q["wall"]) for q in p["requests"])
        return f"**{_s(p['wall'])}** s median ({walls}); RSS {_mb(p['rss_mb'])} MB"

    row("pandas script: every offer's health from the raw files, per request", pandas_cell)

    def pandas_parts(r):
        q = r["pandas"]["requests"][0]["parts"]
        return _parts(q, tuple(q))

    row("… its steps (first request), s", pandas_parts)

    def pandas_check(r):
        checks = r["pandas"]["checks"]
        n = sum(c["compared"] for c in checks)
        bad = sum(c["mismatches"] for c in checks)
        other = {k: sum(c["differ"][k] for c in checks) for k in checks[0]["differ"]}
        other = {k: x for k, x in other.items() if x}
        return (f"{n:,} offers compared ({len(checks)} days), **{bad} mismatches**"
                + (f"; differing values {other}" if other else "; every value equal"))  # fmt: skip

    row("… checked against the project's health", pandas_check)

    def ratio(r):
        v = values(r)
        warm = f", ÷ warm {v['pandas_ratio_warm']:.0f}×" if v.get("pandas_ratio_warm") else ""
        return f"**{v['pandas_ratio']:.1f}×** ÷ the project cold{warm}"

    row("pandas ÷ project (health of every offer for an arbitrary as-of day)", ratio)

    def spark_cell(r):
        import spark  # bench/spark.py

        return spark.cell(r["spark"])

    row("derive on Spark (local[*]) vs DuckDB, wall", spark_cell)
    lines += render_targets(results)
    lines += [
        "",
        f"Callback rows (`cm`: a category manager over all categories; `seller`: S-DEMO): "
        f"p50 / **p95** over {info.get('calls', '?')} calls of each interaction "
        f"({info.get('scope_calls', '?')} as-of changes), server side, called directly in a "
        'worker started as a served one (`create_app(warm=True)`); "first": that '
        "interaction's first call in another fresh worker.",
        "",
        "The pandas script classifies events with the project's Python reference "
        "(`engine.themes.classify` / `counted`, once per distinct input); the rest (orders "
        "merged per order, windows, peers with widening, Wilson interval, rules, deleted "
        "listings at their deletion day) is its own (bench/analyst.py). The project's as-of "
        "rows read deleted listings' health from the table refresh stored; the pandas script "
        "computes them on every request.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", help=f"comma-separated datagen sizes (default {DEFAULT_SIZES})")
    p.add_argument("--quick", action="store_true", help="1m only, fewer calls")
    p.add_argument("--calls", type=int, help="calls of each interaction (default 30; quick 8)")
    p.add_argument("--scope-calls", type=int, help="page as-of changes (default 5; quick 2)")
    p.add_argument("--warm", type=int, default=3, help="warm as-of days (default 3)")
    p.add_argument(
        "--pandas-sizes", default=",".join(PANDAS_SIZES), help="sizes of the pandas script"
    )
    p.add_argument("--pandas-requests", type=int, help="pandas requests (default 2; quick 1)")
    p.add_argument(
        "--skip", default="", help="comma-separated: import,one_day,asof,pandas,serve,cold,spark"
    )
    p.add_argument("--timeout", type=float, default=TIMEOUT_S, help="kill a worker after (s)")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--out", type=Path, help="rewrite the markdown here after every size")
    p.add_argument("--keep", type=Path, help="keep the stores in this folder (default: delete)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    started = time.perf_counter()
    sizes = [s for s in (args.sizes or ("1m" if args.quick else DEFAULT_SIZES)).split(",") if s]
    args.calls = args.calls or (8 if args.quick else 30)
    args.scope_calls = args.scope_calls or (2 if args.quick else 5)
    args.pandas_requests = args.pandas_requests or (1 if args.quick else 2)
    args.pandas_sizes = set(filter(None, args.pandas_sizes.split(",")))
    args.skip = set(filter(None, args.skip.split(",")))
    info = common.machine_info()
    info["code"] = common.source_fingerprint("app.py", "engine", "callbacks", "layouts")
    info["calls"], info["scope_calls"] = args.calls, args.scope_calls
    info["load_before"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        import pandas

        info["pandas"] = pandas.__version__
    except ImportError:
        info["pandas"] = "not installed"
        if "pandas" not in args.skip:
            _say("pandas is not installed: skipping the pandas script "
                 "(.venv/bin/python -m pip install -r bench/requirements.txt)")  # fmt: skip
            args.skip.add("pandas")
    try:
        import pyspark  # noqa: F401  (requirements-spark.txt)
    except ImportError:
        if "spark" not in args.skip:
            _say("pyspark is not installed: skipping the Spark derivation (scripts/setup-spark)")
            args.skip.add("spark")
    _say(str(info))
    for s in sizes:
        if datagen.parse_size(s).lines >= 30_000_000 and datagen.manifest(s) is None:
            _say(f"{s}: generating its files first (the generator holds everything in memory: "
                 "~15 GB at 50m, many minutes)")  # fmt: skip

    tmp = Path(tempfile.mkdtemp(prefix="vocscale-", dir=args.keep))
    results: dict[str, dict] = {}
    try:
        for size in sizes:
            _say(f"=== {size} ===")
            results[size] = measure_size(size, args, tmp)
            if args.out:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(render(info, results) + "\n")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            _say(f"stores kept in {tmp}")
    info["load_after"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    info["seconds"] = time.perf_counter() - started
    now = common.source_fingerprint("app.py", "engine", "callbacks", "layouts")
    if now != info["code"]:
        info["warning"] = f"the app's source changed during the run ({info['code']} -> {now})"
    text = render(info, results)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"machine": info, "results": results}, indent=1, default=str)
        )
    mismatches = sum(values(r).get("pandas_mismatches", 0) for r in results.values())
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

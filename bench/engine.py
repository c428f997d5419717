"""Engine benchmark: demo build, imports, refresh and the per-offer report.

    python bench/engine.py [--sizes 1m,10m] [--quick] [--runs 3] [--json FILE]

Prints a markdown table. Every measurement runs in a fresh Python process (a worker,
this file with ``--worker``) so "cold" means what a new ``python app.py ...`` sees: a new
connection, empty caches (Python imports are done before the clock starts; the
``report`` CLI row includes them). Data comes from bench/datagen.py (generated once, then
reused).

Stores are folders of numbered generations (engine/generations.py). Imports time
``pipeline.import_into_store`` into a new, empty store folder in a temporary directory;
their breakdown: open (lock, the new generation's file, schema), import (stage + merge,
``ImportSummary.seconds_import``), refresh (``ImportSummary.seconds_refresh``: derived SQL
+ snapshot, of which the deleted listings' health), commit (the rest of the transaction)
and publish (checkpoint, fsync, rename, pointer switch). The refresh row refreshes the
imported store as a new generation (``Store.write`` + ``pipeline.refresh`` in one
transaction) and times the transaction; copying the live generation and publishing are
in its breakdown, with the total.

Columns: wall-clock median (min-max) over the runs, the worker's CPU seconds (all its
threads; on a busy machine wall time grows with the load, CPU time much less), its peak
RSS, and the 1-minute load average when the run started (2 cores here: a load above 2
means the runs competed for the CPU).

``--quick``: one run of each, and only the 1m size unless ``--sizes`` is given.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))  # before bench/, so `engine` is the package, not this file

import common  # noqa: E402  (bench/common.py)
import datagen  # noqa: E402  (bench/datagen.py)

TARGETS = {
    "demo_build": ("≤ 15 s", 15.0),
    ("import_parquet", "10m"): ("≤ 30 s import + refresh", 30.0),
    ("report_cold", "10m"): ("≤ 2 s", 2.0),
}
REFRESH_BUDGET_S = 240.0  # stop repeating a measurement once its runs took this long
WARM_REPEATS = 3


# --- workers (run in a fresh process) ----------------------------------------------------


def _cpu() -> float:
    return common.cpu_seconds()


def _rss_mb() -> float:
    return common.rss_mb()


def worker(task: dict) -> dict:
    kind = task["kind"]
    from engine import pipeline, store  # imported before the clock starts
    from engine.generations import Store, connect_live

    if kind == "demo_build":
        from engine.commands import build_demo

        out = io.StringIO()
        timers = common.pipeline_timers()
        with tempfile.TemporaryDirectory(prefix="vocbench-demo-") as tmp:
            cpu0, t0 = _cpu(), time.perf_counter()
            build_demo(Path(tmp) / "store", out=out)
            t1 = time.perf_counter()
            wall = t1 - t0
        text = out.getvalue()
        found = re.search(r"demo generated in ([\d.]+) s", text)
        summary = timers.result.get("load_frames")
        parts = {"generate": float(found.group(1)) if found else None}
        if summary is not None:
            parts |= common.import_parts(timers, summary, t0, t1, inner="load_frames")
            parts["open"] = None  # inside "generate" here: the folder is made after it
        return {"wall": wall, "cpu": _cpu() - cpu0, "rss_mb": _rss_mb(), "parts": parts}

    if kind == "import":
        files = {t: Path(p) for t, p in task["files"].items()}
        timers = common.pipeline_timers()
        cpu0, t0 = _cpu(), time.perf_counter()
        summary = pipeline.import_into_store(Path(task["store"]), files)
        t1 = time.perf_counter()
        return {
            "wall": t1 - t0,
            "cpu": _cpu() - cpu0,
            "rss_mb": _rss_mb(),
            "parts": common.import_parts(timers, summary, t0, t1),
            "rows": {k: c.added for k, c in summary.merged.counts.items()},
            "generation": summary.generation,
        }

    if kind == "refresh":
        # As a served store is refreshed (engine.commands.ensure_store): a new generation.
        # The row times the refresh transaction; copy and publish are its breakdown.
        timers = common.pipeline_timers()
        target = Store(Path(task["store"]))
        t0 = time.perf_counter()
        with target.write() as writing:
            cpu1, t1 = _cpu(), time.perf_counter()
            with store.transaction(writing.con):
                pipeline.refresh(writing.con)
            cpu2, t2 = _cpu(), time.perf_counter()
        t3 = time.perf_counter()
        return {
            "wall": t2 - t1,
            "cpu": cpu2 - cpu1,
            "rss_mb": _rss_mb(),
            "parts": {
                "derived_sql": timers.seconds.get("derived_sql"),
                "snapshot": timers.seconds.get("snapshot"),
                "deleted_health": timers.seconds.get("deleted_health"),
                "commit": (t2 - t1)
                - sum(timers.seconds.get(k, 0.0) for k in ("derived_sql", "snapshot")),
                "copy": timers.seconds.get("copy", 0.0),
                "publish": t3 - t2,
                "total": t3 - t0,
            },
        }

    if kind == "report":
        from engine.report import report_frame

        # stored=False: compute every offer's health (what the target is about), not read
        # the snapshot that refresh persisted for the latest day; that read is timed apart.
        cpu0, t0 = _cpu(), time.perf_counter()
        con = connect_live(Path(task["store"]))
        try:
            frame = report_frame(con, stored=False)
            cold = time.perf_counter() - t0
            cold_cpu = _cpu() - cpu0
            warm = []
            for _ in range(task.get("warm", WARM_REPEATS)):
                t1 = time.perf_counter()
                report_frame(con, stored=False)
                warm.append(time.perf_counter() - t1)
            t1 = time.perf_counter()
            report_frame(con, stored=True)
            stored = time.perf_counter() - t1
        finally:
            con.close()
        return {
            "wall": cold,
            "cpu": cold_cpu,
            "rss_mb": _rss_mb(),
            "warm": warm,
            "stored": stored,
            "offers": frame.height,
        }

    raise ValueError(f"unknown worker task {kind!r}")


# --- the parent: run workers, collect, print ---------------------------------------------


def run_worker(task: dict) -> dict:
    return common.run_worker(__file__, task)


def repeat(task_of, runs: int, budget: float = REFRESH_BUDGET_S) -> list[dict]:
    """Up to ``runs`` workers, fewer once the runs so far took ``budget`` seconds."""
    results: list[dict] = []
    spent = 0.0
    for i in range(runs):
        if i and spent >= budget:
            break
        task = task_of(i)
        try:
            r = run_worker(task)
        except RuntimeError as err:
            lines = [line for line in str(err).splitlines() if line.strip()]
            last = [
                next(
                    (line for line in reversed(lines) if "Error" in line or "Exception" in line),
                    lines[-1] if lines else "failed",
                )
            ]
            print(
                f"  {task['kind']} run {i + 1} FAILED:\n" + "\n".join(lines[-25:]),
                file=sys.stderr,
                flush=True,
            )
            results.append({"error": last[0] if last else "failed"})
            break
        spent += r["wall"]
        results.append(r)
        print(f"  {task['kind']} run {i + 1}: {r['wall']:.2f} s", file=sys.stderr, flush=True)
    return results


def time_cli_report(store_root: Path, runs: int) -> list[dict]:
    out = []
    for _ in range(runs):
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "app.py", "report", "--store", str(store_root)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if proc.returncode != 0:
            return [{"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}]
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        out.append({"wall": wall, "cpu": cpu, "rss_mb": after.ru_maxrss / 1024, "load": load})
    return out


def code_fingerprint() -> str:
    """A hash of the engine's source (other people edit it while benchmarks run)."""
    return common.source_fingerprint("engine")


def machine_info() -> dict:
    return common.machine_info()


_fmt_s = common.fmt_s


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def row(
    name: str,
    data: str,
    results: list[dict],
    target_key,
    extra: str = "",
    value=lambda r: r["wall"],
) -> dict:
    errors = [r["error"] for r in results if "error" in r]
    results = [r for r in results if "error" not in r]
    if not results:
        return {
            "measurement": name,
            "data": data,
            "runs": 0,
            "median": None,
            "range": "",
            "cpu": None,
            "rss": 0,
            "load": float("nan"),
            "detail": f"FAILED: {errors[0][:120]}",
            "target": TARGETS.get(target_key, ("",))[0],
            "met": "failed",
        }
    walls = [value(r) for r in results]
    target = TARGETS.get(target_key)
    med = _median(walls)
    cpus = [r["cpu"] for r in results if r.get("cpu") is not None]
    return {
        "measurement": name,
        "data": data,
        "runs": len(results),
        "median": med,
        "range": f"{_fmt_s(min(walls))}–{_fmt_s(max(walls))}" if len(walls) > 1 else "",
        "cpu": _median(cpus) if cpus else None,
        "rss": max(r.get("rss_mb", 0) for r in results),
        "load": _median([r["load"] for r in results]),
        "detail": extra + (f"; a later run FAILED: {errors[0][:80]}" if errors else ""),
        "target": target[0] if target else "",
        "met": ("yes" if med <= target[1] else "**no**") if target else "",
    }


def _parts(results: list[dict], keys: list[str]) -> str:
    out = []
    for k in keys:
        vals = [r["parts"][k] for r in results if r.get("parts", {}).get(k) is not None]
        if vals:
            out.append(f"{k.replace('_', ' ')} {_fmt_s(_median(vals))}")
    return ", ".join(out)


def render(info: dict, rows: list[dict], datasets: dict[str, dict]) -> str:
    lines = ["## Engine benchmark", ""]
    lines.append(
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory']}, "
        f"Python {info['python']}, duckdb {info['duckdb']}, polars {info['polars']}, "
        f"{info['platform']}; engine/ source {info.get('code', '?')}"
    )
    if info.get("warning"):
        lines.append(f"**Warning: {info['warning']}**")
    for name, m in datasets.items():
        r = m["rows"]
        lines.append(
            f"- data `{name}`: {r['orders']:,} order lines, {r['feedback']:,} feedback events"
            + (
                f" (of {m['natural_events']:,} generated)"
                if m.get("natural_events", r["feedback"]) != r["feedback"]
                else ""
            )
            + f", {r['offers']:,} offers, {m['sellers']:,} sellers (demo scale {m['scale']})"
        )
    lines += [
        "",
        "| Measurement | Data | Runs | Median s | Range s | CPU s | Peak RSS MB | Load | "
        "Breakdown (median s) | Target | Met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['measurement']} | {r['data']} | {r['runs']} | {_fmt_s(r['median'])} | "
            f"{r['range']} | {_fmt_s(r['cpu'])} | {r['rss']:.0f} | {r['load']:.1f} | "
            f"{r['detail']} | {r['target']} | {r['met']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", help="comma-separated data sizes (default 1m,10m; --quick: 1m)")
    p.add_argument("--quick", action="store_true", help="one run of each measurement")
    p.add_argument("--runs", type=int, default=3, help="runs where cheap (default 3)")
    p.add_argument("--skip", default="", help="comma-separated: demo,csv,refresh,cli")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--out", type=Path, help="rewrite the markdown table here after every row")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    runs = 1 if args.quick else args.runs
    sizes = [s for s in (args.sizes or ("1m" if args.quick else "1m,10m")).split(",") if s]
    skip = set(filter(None, args.skip.split(",")))
    info = machine_info()
    info["code"] = code_fingerprint()
    print(f"[engine] {info}", file=sys.stderr)
    datasets = {s: datagen.ensure_files(s) for s in sizes}
    rows: list[dict] = []
    raw: dict[str, list[dict]] = {}

    def add(r: dict) -> None:
        rows.append(r)
        print(
            f"[engine] {r['measurement'].strip()} / {r['data']}: {_fmt_s(r['median'])} s {r['detail']}",
            file=sys.stderr,
            flush=True,
        )
        if args.out:
            args.out.write_text(render(info, rows, datasets) + "\n")

    if "demo" not in skip:
        res = repeat(lambda i: {"kind": "demo_build"}, runs)
        raw["demo_build"] = res
        add(
            row(
                "demo build (`build_demo`, scale 1)",
                "demo scale 1 (718k lines)",
                res,
                "demo_build",
                _parts(res, ["generate", "import", "refresh", "snapshot", "commit", "publish"]),
            )
        )

    tmp_root = Path(tempfile.mkdtemp(prefix="vocbench-"))
    try:
        for size in sizes:
            m = datasets[size]
            big = m["rows"]["orders"] >= 5_000_000
            n = 1 if big else runs
            label = f"{size}: {m['rows']['orders'] / 1e6:.2f}M lines + {m['rows']['feedback'] / 1e3:.0f}k events"
            kept = tmp_root / f"{size}-parquet"  # a store folder
            for fmt in ("parquet", "csv"):
                if fmt == "csv" and "csv" in skip:
                    continue
                files = {t: str(f) for t, f in datagen.files_of(size, fmt).items()}

                def task(i, fmt=fmt, files=files, size=size):
                    target = tmp_root / f"{size}-{fmt}-{i}"  # a new, empty store folder
                    shutil.rmtree(target, ignore_errors=True)
                    return {"kind": "import", "files": files, "store": str(target)}

                res = repeat(task, n)
                raw[f"import_{fmt}_{size}"] = res
                add(
                    row(
                        f"import from {fmt.upper()} into a new store (total)",
                        label,
                        res,
                        (f"import_{fmt}", size),
                        _parts(
                            res,
                            [
                                "open",
                                "import",
                                "refresh",
                                "derived_sql",
                                "snapshot",
                                "deleted_health",
                                "commit",
                                "publish",
                            ],
                        ),
                    )
                )
                add(
                    row(
                        "  … import + refresh only (as `ImportSummary` reports)",
                        label,
                        res,
                        (f"import_{fmt}", size),
                        value=lambda r: r["parts"]["import"] + r["parts"]["refresh"],
                    )
                )
                good = [i for i, r in enumerate(res) if "error" not in r]
                last = tmp_root / f"{size}-{fmt}-{good[-1]}" if good else None
                if fmt == "parquet" and last is not None and last.exists():
                    last.replace(kept)
                for i in range(len(res)):
                    shutil.rmtree(tmp_root / f"{size}-{fmt}-{i}", ignore_errors=True)
            if not kept.exists():
                print(
                    f"[engine] no {size} store (the Parquet import failed): skipping refresh and report",
                    file=sys.stderr,
                )
                continue
            if "refresh" not in skip:
                res = repeat(lambda i, kept=kept: {"kind": "refresh", "store": str(kept)}, runs)
                raw[f"refresh_{size}"] = res
                add(
                    row(
                        "refresh of derived tables alone (one transaction, as a new generation)",
                        label,
                        res,
                        None,
                        _parts(
                            res,
                            [
                                "derived_sql",
                                "snapshot",
                                "deleted_health",
                                "commit",
                                "copy",
                                "publish",
                                "total",
                            ],
                        ),
                    )
                )
            res = repeat(lambda i, kept=kept: {"kind": "report", "store": str(kept)}, runs)
            raw[f"report_{size}"] = res
            offers = next((r["offers"] for r in res if "offers" in r), 0)
            add(
                row(
                    "report: health of every offer, cold (new process + connection)",
                    f"{label}; {offers:,} offers",
                    res,
                    ("report_cold", size),
                )
            )
            warm = [
                {"wall": w, "cpu": None, "rss_mb": r["rss_mb"], "load": r["load"]}
                for r in res
                for w in r.get("warm", [])
            ]
            add(
                row(
                    "report: same, warm repeat (same connection)",
                    f"{label}; {offers:,} offers",
                    warm,
                    None,
                )
            )
            stored = [
                {"wall": r["stored"], "cpu": None, "rss_mb": r["rss_mb"], "load": r["load"]}
                for r in res
                if "stored" in r
            ]
            add(
                row(
                    "report: latest day read from the snapshot stored by refresh",
                    f"{label}; {offers:,} offers",
                    stored,
                    None,
                )
            )
            if "cli" not in skip:
                res = time_cli_report(kept, 1 if big else runs)
                raw[f"cli_report_{size}"] = res
                add(
                    row(
                        "`python app.py report` end to end (CSV to /dev/null)",
                        label,
                        res,
                        None,
                        "interpreter start, imports, health, CSV formatting",
                    )
                )
            shutil.rmtree(kept, ignore_errors=True)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    now = code_fingerprint()
    if now != info["code"]:
        info["warning"] = (
            f"engine/ changed during the run ({info['code']} -> {now}): rows may mix code versions"
        )
    text = render(info, rows, datasets)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "datasets": datasets, "raw": raw}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

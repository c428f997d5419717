"""The derivation on Spark beside DuckDB (issue 11, item 6; docs/spark.md).

    python bench/spark.py [--sizes demo,10m] [--master local[*]]

For each size, a store (``demo``: the default demo marketplace built in a temporary
folder; a datagen size such as ``10m``: datagen's cached ``<size>-store``, built on first
use) is exported to a lake (``export --lake``), then ``derive --engine duckdb`` and
``derive --engine spark`` run on it, each as the command line in a fresh process (Spark's
JVM start included), wall time measured; the two results are then compared table by
table (row counts and a sorted hash of every row). Prints a markdown table with the load
average. bench/scale.py runs the same worker as its ``spark`` step (``--skip spark``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT))  # first: bench/engine.py must not shadow the engine package

import common  # noqa: E402  (bench/common.py)


def _app(*args: str, timeout: float) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, check=True, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip
    return time.perf_counter() - t0


def _fingerprints(lake_dir: Path) -> dict[str, list]:
    """(rows, hash of the sorted rows) of every derived table, lists sorted first."""
    import duckdb

    from engine import derive, lake

    con = duckdb.connect()
    out = {}
    try:
        for table in derive.DERIVED_SQL:
            rel = con.read_parquet(lake.parquet_glob(lake.derived_dir(lake_dir, table)))
            cols = [
                f"list_sort({c})" if "[]" in t else c
                for c, t in zip(rel.columns, map(str, rel.types), strict=True)
            ]  # noqa: E501
            rows, digest = con.execute(
                f"SELECT count(*), sum(hash({', '.join(cols)})) FROM rel"
            ).fetchone()
            out[table] = [rows, str(digest)]
    finally:
        con.close()
    return out


def worker(task: dict) -> dict:
    """Export ``task['store']`` to a lake, derive on DuckDB and on Spark; seconds and
    whether the results are equal."""
    timeout = task.get("timeout", 3600)
    tmp = Path(tempfile.mkdtemp(prefix="vocspark-"))
    try:
        lake_dir = tmp / "lake"
        res = {"export": _app("--store", task["store"], "export", "--lake", str(lake_dir),
                              timeout=timeout)}  # fmt: skip
        res["duckdb"] = _app("derive", "--engine", "duckdb", "--lake", str(lake_dir),
                             timeout=timeout)  # fmt: skip
        duck = _fingerprints(lake_dir)
        master = ["--master", task["master"]] if task.get("master") else []
        res["spark"] = _app("derive", "--engine", "spark", *master, "--lake", str(lake_dir),
                            timeout=timeout)  # fmt: skip
        spark = _fingerprints(lake_dir)
        res["rows"] = {t: v[0] for t, v in duck.items()}
        res["equal"] = duck == spark
        res["differ"] = sorted(t for t in duck if duck[t] != spark.get(t))
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def store_for(size: str, tmp: Path) -> Path:
    if size == "demo":
        import io

        from engine import commands

        path = tmp / "demo-store"
        commands.build_demo(path, out=io.StringIO())
        return path
    import datagen  # bench/datagen.py

    datagen.ensure(f"{size}-store")
    return datagen.store_path(f"{size}-store")


def cell(r: dict) -> str:
    """The scale table's cell: Spark vs DuckDB wall time and whether they agree."""
    same = "equal" if r["equal"] else f"**differ: {', '.join(r['differ'])}**"
    return (f"Spark {r['spark']:.1f} s vs DuckDB {r['duckdb']:.1f} s "
            f"({r['spark'] / r['duckdb']:.1f}×; export {r['export']:.1f} s); {same}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--sizes", default="demo,10m", help="demo and/or datagen sizes")
    p.add_argument("--master", help="Spark master URL (default local[*])")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    tmp = Path(tempfile.mkdtemp(prefix="vocspark-stores-"))
    results = {}
    try:
        for size in filter(None, args.sizes.split(",")):
            root = store_for(size, tmp)
            results[size] = common.run_worker(
                Path(__file__), {"store": str(root), "master": args.master}
            )
            print(f"{size}: {cell(results[size])} (load {results[size]['load']:.2f})",
                  file=sys.stderr)  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Load average (1, 5, 15 min) before {load_before}, after {load_after}; "
          f"{os.cpu_count()} cores.\n")  # fmt: skip
    print("| size | derived rows (events) | derive on Spark vs DuckDB (wall, fresh process) |")
    print("|---|---|---|")
    for size, r in results.items():
        print(f"| {size} | {r['rows']['events']:,} | {cell(r)} |")
    return 0 if all(r["equal"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

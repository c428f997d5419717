"""Load and fault run: the page served by gunicorn to 20 signed-in people at once.

python bench/load.py [--users 20] [--seconds 60] [--workers 2] [--fault-seconds 30]

1. A fresh demo store (``build_demo``, seed 7) in a temporary folder, with one user per
   simulated person: half sellers (the sellers with the most offers), half category
   managers (every other one over all categories, the rest over two).
2. ``python app.py serve --workers N`` on 127.0.0.1 with a secret, then ``--users``
   threads for ``--seconds`` seconds (it stops by itself), each signed in as its own user
   and talking to the server as the page's renderer does (``bench/dash_http.py``): page
   loads, filter changes, tile clicks, row clicks, grid paging with a sort, downloads. An
   interaction's latency is the whole chain of callback requests it sets off, those of one
   round at once (6 connections, as a browser), as the person would wait for it; between
   interactions a person reads for 0.5-2.5 s (uniform).
   Everyone signs in and opens the page first (timed, printed apart); then the measured
   run starts for all at once.
3. Printed: requests served, errors (any answer but 200/204, a refusal or an error shown
   on the page, a failed connection), p50/p95 per kind (as seller and as category
   manager), and the peak RSS of each worker (sampled from /proc every 0.25 s).
4. Faults, under the same load for ``--fault-seconds``: ``kill -9`` of one worker (the
   master starts another; errors are counted during the kill and after it), then
   ``kill -9`` of a command-line import half-way, after which the store must hold exactly
   the previous data (row counts of every table and a checksum of the snapshot), and the
   next import must succeed.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dash_http import DashHTTP, id_key  # noqa: E402
from layouts.ids import ID, tile  # noqa: E402

PASSWORD = "load test password"
SECRET = "load-" + "q" * 48
KINDS = ("page load", "filter", "tile click", "row click", "grid page", "download")
WEIGHTS = (1, 3, 2, 4, 3, 1)
HEALTH = ("excellent", "good", "fair", "poor", "very_poor")
THINK_S = (0.5, 2.5)  # seconds between one person's interactions (uniform)


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict = field(default_factory=dict)  # (kind, role) -> [seconds]
    requests: int = 0
    errors: list = field(default_factory=list)  # (time, what)

    def add(self, kind: str, role: str, seconds: float, n: int, errors: list[str]) -> None:
        with self.lock:
            self.times.setdefault((kind, role), []).append(seconds)
            self.requests += n
            now = time.time()
            self.errors += [(now, e) for e in errors]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path, users: int) -> list[tuple[str, str]]:
    """The demo store with ``users`` users; [(name, role)]."""
    import io

    from engine import commands
    from engine.access import Users
    from engine.app_state import AppState
    from engine.generations import connect_live

    commands.build_demo(folder, out=io.StringIO())
    con = connect_live(folder)
    try:
        sellers = [r[0] for r in con.execute(
            "SELECT seller_id FROM offers GROUP BY 1 ORDER BY count(*) DESC, 1").fetchall()]  # fmt: skip
        cats = [
            r[0] for r in con.execute("SELECT DISTINCT category FROM offers ORDER BY 1").fetchall()
        ]
    finally:
        con.close()
    registry = Users(AppState.beside(folder))
    out = []
    for i in range(users):
        if i % 2 == 0:
            name = f"seller{i}"
            registry.add(name, "seller", PASSWORD, seller_id=sellers[i // 2])
            out.append((name, "seller"))
        else:
            name = f"cm{i}"
            scope = cats if (i // 2) % 2 == 0 else cats[(i // 2) % len(cats) :][:2] or cats[:2]
            registry.add(name, "category_manager", PASSWORD, categories=scope)
            out.append((name, "category manager"))
    return out


def problems(answers) -> list[str]:
    out = []
    for a in answers:
        if a.status not in (200, 204):
            out.append(f"HTTP {a.status} {a.output[:40]}")
        elif b"Not shown" in a.body or b"Something went wrong" in a.body:
            out.append(f"shown as an error: {a.output[:40]}")
    return out


@dataclass
class Clock:
    """Everyone signs in and opens the page first; then the measured run starts for all."""

    people: int
    seconds: float
    ready: threading.Barrier = field(init=False)
    go: threading.Event = field(default_factory=threading.Event)
    until: float = 0.0
    signed_in: list = field(default_factory=list)  # seconds of each sign-in + first page

    def __post_init__(self) -> None:
        self.ready = threading.Barrier(self.people + 1, timeout=600)

    def start(self) -> None:
        """(The main thread.) Wait for everyone to be in, then open the measured run."""
        self.ready.wait()
        self.until = time.time() + self.seconds
        self.go.set()


def person(
    url: str, name: str, role: str, clock: Clock, stats: Stats, seed: int, think=THINK_S
) -> None:
    rng = random.Random(seed)
    c = DashHTTP(url, timeout=60, parallel=6)  # a browser's connections per host
    c.record = False
    begin = time.perf_counter()
    try:
        c.sign_in(name, PASSWORD)
        c.load()
        clock.signed_in.append(time.perf_counter() - begin)
        failed = None
    except OSError as err:
        failed = f"sign-in: {err}"
    clock.ready.wait()
    clock.go.wait()
    if failed:
        stats.add("page load", role, 0.0, 0, [failed])
        return
    until = clock.until
    keys: list[str] = []
    time.sleep(rng.uniform(*think))  # people do not all click in the same instant
    while time.time() < until:
        kind = rng.choices(KINDS, WEIGHTS)[0]
        start = time.perf_counter()
        try:
            if kind == "page load":
                answers = c.load()
            elif kind == "filter":
                value = rng.choice([[], ["yes"]])
                answers = c.fire(c.set(ID.F_WITH_COMMENTS, "value", value))
            elif kind == "tile click":
                level = id_key(tile(rng.choice(HEALTH)))
                clicks = (c.values.get((level, "n_clicks")) or 0) + 1
                answers = c.fire(c.set(level, "n_clicks", clicks))
            elif kind == "grid page":
                column = rng.choice(["ncx_rate", "orders", "title", "health_rank", "x_peers"])
                shown = (c.values.get((ID.GRID, "getRowsResponse")) or {}).get("rowCount") or 0
                request = {
                    "startRow": 100 * rng.randrange(max(1, min(3, -(-shown // 100)))),
                    "endRow": 0,
                    "sortModel": [{"colId": column, "sort": rng.choice(["asc", "desc"])}],
                    "filterModel": {},
                }
                request["endRow"] = request["startRow"] + 100
                answers = c.fire(c.set(ID.GRID, "getRowsRequest", request))
            elif kind == "row click":
                if not keys:
                    answers = c.fire(
                        c.set(ID.GRID, "getRowsRequest", {"startRow": 0, "endRow": 100})
                    )
                    rows = (c.values.get((ID.GRID, "getRowsResponse")) or {}).get("rowData") or []
                    keys = [r["key"] for r in rows]
                if keys:
                    key = rng.choice(keys)
                    cell = {"rowId": key, "colId": "title", "value": ""}
                    answers = c.fire(c.set(ID.GRID, "cellClicked", cell))
                else:
                    answers = []
            else:
                button = rng.choice([ID.GRID_DOWNLOAD_BUTTON, ID.COMMENTS_CSV])
                clicks = (c.values.get((button, "n_clicks")) or 0) + 1
                answers = c.fire(c.set(button, "n_clicks", clicks))
            if kind in ("filter", "tile click", "page load"):
                # the grid's query changed: it drops its rows and asks for the first block
                keys = []
                answers += c.fire(c.set(ID.GRID, "getRowsRequest", {"startRow": 0, "endRow": 100}))
            stats.add(kind, role, time.perf_counter() - start, len(answers), problems(answers))
        except OSError as err:
            stats.add(kind, role, time.perf_counter() - start, 1, [f"{kind}: {err}"])
        time.sleep(rng.uniform(*think))  # a person reads what the page shows


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample_memory(master: int, until: float, peaks: dict) -> None:
    """Peak RSS (MB) per worker pid in ``peaks``; their CPU seconds under ``("cpu", pid)``."""
    while time.time() < until:
        for pid in worker_pids(master):
            peaks[pid] = max(peaks.get(pid, 0.0), rss_mb(pid))
            peaks[("cpu", pid)] = cpu_s(pid)
        time.sleep(0.25)


def run_load(url, people, seconds, master, seed, think=THINK_S) -> tuple[Stats, dict]:
    stats, peaks = Stats(), {}
    clock = Clock(len(people), seconds)
    threads = [
        threading.Thread(
            target=person, args=(url, n, r, clock, stats, seed + i, think), daemon=True
        )
        for i, (n, r) in enumerate(people)
    ]
    for t in threads:
        t.start()
    clock.start()  # everyone is signed in and has the page: the measured minute starts
    cpu0 = {pid: cpu_s(pid) for pid in worker_pids(master)}
    own0 = sum(os.times()[:2])
    sampler = threading.Thread(
        target=sample_memory, args=(master, clock.until + 2, peaks), daemon=True
    )
    sampler.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    sampler.join()
    peaks["signed_in"] = clock.signed_in
    peaks["server_cpu"] = sum(
        v - cpu0.get(k[1], 0.0) for k, v in peaks.items() if isinstance(k, tuple)
    )
    peaks["client_cpu"] = sum(os.times()[:2]) - own0
    return stats, peaks


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(stats: Stats, peaks: dict, seconds: float) -> str:
    lines = [
        "| kind | as | interactions | p50 ms | p95 ms |",
        "|---|---|---:|---:|---:|",
    ]
    for kind in KINDS:
        for role in ("seller", "category manager"):
            t = stats.times.get((kind, role), [])
            lines.append(
                f"| {kind} | {role} | {len(t)} | {pct(t, 0.5) * 1000:.0f} | {pct(t, 0.95) * 1000:.0f} |"
            )
    total = sum(len(v) for v in stats.times.values())
    lines.append("")
    lines.append(
        f"requests served: {stats.requests:,} ({stats.requests / seconds:.1f}/s), "
        f"interactions: {total:,}, errors: {len(stats.errors)}"
        + (f" (e.g. {stats.errors[0][1]})" if stats.errors else "")
    )
    lines.append(
        "peak RSS per worker: "
        + ", ".join(f"pid {p}: {mb:.0f} MB" for p, mb in sorted(_rss(peaks).items()))
    )
    if peaks.get("signed_in"):
        t = peaks["signed_in"]
        lines.append(
            f"before the measured run: {len(t)} sign-ins + first page loads, at once: "
            f"p50 {pct(t, 0.5) * 1000:.0f} ms, p95 {pct(t, 0.95) * 1000:.0f} ms"
        )
    if "server_cpu" in peaks:
        lines.append(
            f"CPU seconds: server workers {peaks['server_cpu']:.0f}, the simulated users "
            f"(this process) {peaks['client_cpu']:.0f}, over {seconds:.0f} s on "
            f"{os.cpu_count()} cores"
        )
    return "\n".join(lines)


def _rss(peaks: dict) -> dict:
    return {k: v for k, v in peaks.items() if isinstance(k, int)}


def store_fingerprint(folder: Path) -> dict:
    """Row counts of every table of the live generation and a checksum of the snapshot."""
    from engine import store
    from engine.generations import connect_live

    con = connect_live(folder)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        ]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        cols = [r[0] for r in con.execute("DESCRIBE snapshot").fetchall()]
        row = ", ".join(f'"{c}"' for c in cols)
        checksum = con.execute(f"SELECT sum(hash({row})) FROM snapshot").fetchone()[0]
        version = store.data_version(con)
    finally:
        con.close()
    return {"counts": counts, "snapshot_checksum": int(checksum or 0), "version": version}


def import_files(folder: Path) -> list[Path]:
    """The demo's featured seller's reports, written once (what the imports bring)."""
    from engine import commands

    reports = folder.parent / "reports"
    if not reports.exists():
        with open(os.devnull, "w") as quiet:
            commands.write_demo_reports(reports, seed=11, out=quiet)
    return sorted(reports.iterdir())


def fault_run(url, people, seconds, master, store, seed) -> str:
    stats, peaks = Stats(), {}
    clock = Clock(len(people), seconds)
    threads = [
        threading.Thread(target=person, args=(url, n, r, clock, stats, seed + i), daemon=True)
        for i, (n, r) in enumerate(people)
    ]
    for t in threads:
        t.start()
    clock.start()
    sampler = threading.Thread(
        target=sample_memory, args=(master, clock.until + 2, peaks), daemon=True
    )
    sampler.start()
    out = []
    time.sleep(seconds * 0.2)
    victim = worker_pids(master)[0]
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    for _ in range(100):  # until the master has started its replacement
        pids = worker_pids(master)
        if victim not in pids and len(pids) >= 2:
            break
        time.sleep(0.1)
    replaced_at = time.time()
    out.append(f"kill -9 of worker {victim}: replaced in {replaced_at - killed_at:.1f} s")
    # an import killed half-way
    files = import_files(store)
    before = store_fingerprint(store)
    cmd = [
        sys.executable,
        "app.py",
        "--store",
        str(store),
        "import",
        *map(str, files),
        "--seller",
        "S-LOAD",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    time.sleep(1.5)
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    after = store_fingerprint(store)
    same = after == before
    out.append(
        f"kill -9 of an import after 1.5 s (still running: {running}): store unchanged "
        f"(row counts of {len(before['counts'])} tables and the snapshot checksum): {same}"
    )
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    final = store_fingerprint(store)
    out.append(
        f"the next import: exit {again.returncode}, version {before['version']} -> "
        f"{final['version']}, offers {before['counts'].get('offers')} -> {final['counts'].get('offers')}"
    )
    for t in threads:
        t.join(timeout=seconds + 120)
    sampler.join()
    during = [e for t, e in stats.errors if t < replaced_at + 1]
    later = [e for t, e in stats.errors if t >= replaced_at + 1]
    out.append(
        f"requests served: {stats.requests:,}; errors: {len(during)} up to 1 s after the "
        f"replacement, {len(later)} after that"
        + (f" (e.g. {during[0]})" if during else "")
        + (f"; later e.g. {later[0]}" if later else "")
    )
    out.append(
        "peak RSS per worker: "
        + ", ".join(f"pid {p}: {mb:.0f} MB" for p, mb in sorted(_rss(peaks).items()))
    )
    ok = same and running and again.returncode == 0 and not later
    return "\n".join(out), ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--fault-seconds", type=float, default=30)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4, help="requests per worker at a time")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--think",
        default=f"{THINK_S[0]},{THINK_S[1]}",
        metavar="MIN,MAX",
        help="seconds a person reads between interactions, uniform (default %(default)s)",
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="voc-load-") as tmp:
        store = Path(tmp) / "store"
        print(f"building the demo store and {args.users} users …", flush=True)
        people = prepare(store, args.users)
        port = free_port()
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115 - the server's, closed below
        env = {**os.environ, "VOC_SECRET_KEY": SECRET}
        server = subprocess.Popen(
            [sys.executable, "app.py", "--store", str(store), "serve", "--workers", str(args.workers),
             "--threads", str(args.threads), "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    DashHTTP(url, timeout=2).get("/login")
                    break
                except OSError:
                    time.sleep(0.2)
            load0 = os.getloadavg()
            print(f"load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; "
                  f"{os.cpu_count()} cores; {args.workers} workers x {args.threads} threads", flush=True)  # fmt: skip
            think = tuple(float(x) for x in args.think.split(","))
            stats, peaks = run_load(url, people, args.seconds, server.pid, args.seed, think)
            load1 = os.getloadavg()
            print(f"\n## {args.users} users for {args.seconds:.0f} s, {think[0]:g}-{think[1]:g} s "
                  "between interactions (load average at the end "
                  f"{load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f})\n")  # fmt: skip
            print(table(stats, peaks, args.seconds))
            print(f"\n## Faults under the same load ({args.fault_seconds:.0f} s)\n")
            text, ok = fault_run(
                url, people, args.fault_seconds, server.pid, store, args.seed + 100
            )
            print(text)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
            text = (Path(tmp) / "server.log").read_text()
            print(
                f"\nserver log: {text.count('refused')} refusals, {text.count('Traceback')} tracebacks"
            )
            worth = ("refused", "ERROR", "failed")
            for line in [x for x in text.splitlines() if any(w in x for w in worth)][:8]:
                print("  " + line[:200])
    return 0 if (not stats.errors and ok) else 1


if __name__ == "__main__":
    sys.exit(main())

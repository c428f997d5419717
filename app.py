"""Voice of the Customer: the Dash app (serve) and the command line.

python app.py [serve --workers N]  serve the page (builds the demo on first start)
python app.py import FILE ...      add Seller Central reports or canonical files to the store
python app.py report --as-of D ... print health per offer as CSV or JSON
python app.py demo [--scale X]     rebuild the store with the demo marketplace
python app.py action add|list|remove  record, list or remove seller actions
python app.py user add|remove|list|password  who may sign in (sign-in once one exists)
python app.py snapshot --out F.pdf the report view as PDF (or PNG) by the system Chromium
python app.py export --lake DIR    the store's canonical tables as Parquet (docs/spark.md)
python app.py derive --engine spark|duckdb --lake DIR   the derived tables from that Parquet

--store FOLDER may also follow the command. python app.py COMMAND --help explains it.
Documentation: docs/command-line.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

import reporting
from engine import commands, store
from engine.importers.detect import InputFile
from engine.pipeline import DEFAULT_SELLER
from engine.report import EVENT_COLUMNS

DERIVED_ENV = "VOC_DERIVED"  # the lake whose derived tables `serve --derived` shows


def create_app(store_root: Path, *, warm: bool = False):
    """The Dash app over read-only connections to the store folder's live generation, with
    sign-in when the store has users (``serving``). ``SignInConfigError`` when it has
    users and no ``VOC_SECRET_KEY``."""
    import dash

    import serving
    from callbacks import register_callbacks, scope, show_error
    from engine.access import Users
    from engine.jobs import ImportJobs
    from engine.service import VocService
    from layouts.page import Who, layout
    from serving.auth import current

    derived = os.environ.get(DERIVED_ENV)  # serve --derived DIR (the workers inherit it)
    service = (
        VocService.open_derived(store_root, Path(derived))
        if derived
        else VocService.open(store_root)
    )
    users = Users(service.state())
    app = dash.Dash(
        __name__,
        title="Voice of the Customer",
        # Bootstrap is served from assets/ (vendored): the page must work offline.
        update_title=None,
        on_error=show_error,
        compress=True,  # gzip (flask-compress): the first load stays well under 3 MB
    )

    def serve_layout():
        """The page for who asks: the sellers and categories they may see, no others."""
        session = current()
        if session is not None and not session.demo and session.user is None:
            # Dash builds the layout once on a server's first request to check it, which
            # may be the sign-in page's: then it is the page for nobody (names no one).
            return layout(sellers=[], categories=[], policy=service.policy, who=Who(name=""))
        user = session.user if session else None
        categories = service.categories()
        if user is not None and user.role == "category_manager":
            categories = [c for c in categories if c in user.categories]
        who = Who(
            name=user.name if user else None,
            about=user.describe() if user else "",
            csrf=session.csrf if session else "",
            can_import=user is None or user.role != "category_manager",
        )
        return layout(
            sellers=scope.view_options(service),
            categories=categories,
            subcategories=service.subcategories(tuple(categories)),
            policy=service.policy,
            data_version=service.data_version(),
            days=service.day_range(),
            who=who,
        )

    # Dash checks callbacks against a "validation layout" that it puts in every page it
    # sends; left to itself it would build it by calling serve_layout outside a request,
    # i.e. as demo mode, naming every seller. The page for nobody has every component.
    app.validation_layout = layout(sellers=[], categories=[], policy=service.policy)
    app.layout = serve_layout
    jobs = ImportJobs(Path(store_root))
    register_callbacks(app, service, jobs)
    reporting.register_routes(app.server, service)  # GET /report: the printable report view
    serving.install(app, jobs, users)  # last: the CSP hashes every inline script
    # Dash sets itself up on a process's first request, and a threaded worker's first
    # requests come at once: one would find the script paths not registered yet (500s).
    # Setting up now, before the first request, closes that race.
    app._setup_server()  # noqa: SLF001
    if warm:
        service.warm()  # the first requests of a fresh worker as fast as the later ones
    return app


def __getattr__(name: str):
    """``app.server`` for a WSGI server (``gunicorn app:server``), built on first access
    over an existing store (``python app.py serve`` prepares one first; workers only read)."""
    if name == "server":
        return create_app(store.store_path()).server
    raise AttributeError(name)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (expected YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="app.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--store",
        metavar="FOLDER",
        help="the store folder (default: $VOC_STORE, else data/store in the project folder)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser(
        "serve",
        help="serve the page (the default command)",
        description="Serve the page and the printable report view (/report). An empty store "
        "is first filled with the demo marketplace; derived tables made by an older version "
        "are rebuilt.",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8050, help="port to listen on (default 8050)")
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (gunicorn), each reading the store read-only (default 1)",
    )
    s.add_argument(
        "--threads",
        type=int,
        default=4,
        metavar="T",
        help="requests each worker serves at a time (default 4)",
    )
    s.add_argument(
        "--derived",
        type=Path,
        metavar="DIR",
        help="show the derived tables of the lake DIR (DIR/derived, written by `derive`) "
        "instead of the store's own; the canonical tables still come from the store, and an "
        "import shows after a restart",
    )
    s.add_argument(
        "--debug",
        action="store_true",
        help="Dash debug mode on Flask's development server: reloads on code changes, shows "
        "errors on the page; only on 127.0.0.1/localhost (default off)",
    )

    i = sub.add_parser(
        "import",
        help="import Seller Central reports and canonical files (any mix, types recognised)",
        description="Import files into the store. Each file's type is recognised from its "
        "header: the Seller Central reports (All Orders, FBA customer returns, "
        "merchant-fulfilled returns, settlement V2, FBA replacements, seller feedback), a "
        "catalogue, a benchmark, or canonical offers/orders/feedback/actions files. CSV, TSV, "
        "gzip or Parquet. One import is all or nothing; the page keeps serving meanwhile. "
        "Exit status 0, or 2 when no file is named or the import failed (the store is "
        "then unchanged).",
    )
    i.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="files to import, type recognised"
    )
    i.add_argument(
        "--seller",
        default=DEFAULT_SELLER,
        metavar="ID",
        help="the seller id of Amazon reports and of files without a seller_id column "
        f"(default {DEFAULT_SELLER})",
    )
    i.add_argument(
        "--catalogue",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a catalogue CSV (sku, category, subcategory, price, brand, ...); repeatable",
    )
    i.add_argument(
        "--benchmark",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a benchmark CSV: peer rates per category, subcategory and price band "
        "(peer_rate, peer_offers); repeatable",
    )
    for table in ("offers", "orders", "feedback", "actions"):
        i.add_argument(
            f"--{table}",
            type=Path,
            metavar="FILE",
            help=f"a canonical {table} file (CSV, TSV, gzip or Parquet)",
        )
    i.add_argument(
        "--encoding",
        metavar="E",
        help="text encoding of every file (default: each file is read as UTF-8 when it is, "
        "else as cp1252)",
    )
    i.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once when another import is running (default: wait for it)",
    )

    r = sub.add_parser(
        "report",
        help="print health per offer as CSV or JSON",
        description="Print one row per offer (health, rates, peers, explanation) on standard "
        "output, sorted by seller and SKU. Exit status 0, or 2 when the store holds no data "
        "or the options are wrong.",
    )
    r.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="as-of day (default: the latest order day)",
    )
    r.add_argument(
        "--window-days",
        type=int,
        default=90,
        metavar="N",
        help="window length in days, at least 1 (default 90)",
    )
    r.add_argument("--seller", metavar="ID", help="only this seller's offers (default: all)")
    r.add_argument("--category", metavar="C", help="only offers of this category (default: all)")
    r.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="import the data files in DIR (.csv, .tsv, .txt, .gz, .parquet) into a temporary "
        "store instead of using the store; Amazon reports and files without a seller_id "
        f"column get the seller id {DEFAULT_SELLER}",
    )
    r.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="output format (default csv)"
    )
    r.add_argument(
        "--derived",
        type=Path,
        metavar="DIR",
        help="use the derived tables of the lake DIR (DIR/derived, written by `derive`) "
        "instead of the store's own; the canonical tables still come from the store",
    )
    mode = r.add_mutually_exclusive_group()
    mode.add_argument(
        "--actions",
        action="store_true",
        help="instead, one row per seller action with its before/after NCX rates, intervals "
        "and verdict (improved, no_clear_change, worse, not_enough_data)",
    )
    mode.add_argument(
        "--at-risk",
        action="store_true",
        help="only the offers at risk (early warning: a recent surge above the peers or a "
        "cluster of one theme while the health is still fair or better), with at_risk_reason",
    )
    mode.add_argument(
        "--events",
        action="store_true",
        help="instead, one row per feedback event dated in the window, counted or not: "
        + ", ".join(EVENT_COLUMNS),
    )
    mode.add_argument(
        "--ncx-orders",
        action="store_true",
        help="instead, the NCX orders of one offer (--seller and --sku) in its window, one row "
        "per event of each, with who caused it and whether the unit was commingled stock",
    )
    r.add_argument("--sku", metavar="SKU", help="the offer of --ncx-orders (with --seller)")

    d = sub.add_parser(
        "demo",
        help="rebuild the store with the demo marketplace",
        description="Replace the store with the deterministic demo marketplace (same scale "
        "and seed, same data). A store that holds imported data is refused (exit status 2) "
        "unless --force.",
    )
    d.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="X",
        help="size of the marketplace: multiplies the other sellers' offers, above 0 (default 1)",
    )
    d.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    d.add_argument(
        "--force",
        action="store_true",
        help="replace a store that holds imported data (default: refuse)",
    )
    d.add_argument(
        "--amazon-reports",
        type=Path,
        metavar="DIR",
        help="instead, write the featured demo seller's data as Seller Central report files "
        "into DIR (created if missing); the store is not touched, --scale and --force do not "
        "apply",
    )

    n = _snapshot_parser(sub)
    a = _action_parser(sub)
    u = _user_parser(sub)
    x, v = _lake_parsers(sub)

    for sp in (
        s,
        i,
        r,
        d,
        n,
        a,
        *a.commands,
        u,
        *u.commands,
        x,
        v,
    ):  # --store is accepted after the command too
        sp.add_argument("--store", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


# --- export / derive: the lake folder (engine/lake.py, engine/spark_derive.py) ---------


def _lake_parsers(sub) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    x = sub.add_parser(
        "export",
        help="write the store's canonical tables as Parquet into a lake folder",
        description="Write the store's canonical tables (offers, orders, feedback, actions, "
        "benchmark) and the reference tables the derivation reads (reason_map, "
        "theme_lexicon) as Parquet, one folder per table, under DIR (created if missing). "
        "Exit status 0, or 2 when the store holds no data or DIR cannot be written.",
    )
    x.add_argument("--lake", type=Path, required=True, metavar="DIR", help="the lake folder")
    v = sub.add_parser(
        "derive",
        help="compute the derived tables from a lake folder on DuckDB or Spark",
        description="Read the canonical Parquet of DIR (written by `export`), compute the "
        "derived tables (events, offer_day, offer_ncx_day, offer_activity) and write them "
        "as Parquet under DIR/derived/, replacing what was there only when every table is "
        "written. `report --derived DIR` and `serve --derived DIR` then use them. Exit "
        "status 0, 2 when DIR is incomplete or Spark cannot start (pyspark or Java "
        "missing: scripts/setup-spark), 1 when the derivation fails.",
    )
    v.add_argument("--lake", type=Path, required=True, metavar="DIR", help="the lake folder")
    v.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb (the reference, embedded) or spark (pyspark; default duckdb)",
    )
    v.add_argument(
        "--master",
        metavar="URL",
        help="Spark master URL, e.g. spark://host:7077 (default local[*]; only with "
        "--engine spark)",
    )
    return x, v


# --- snapshot: the report view rendered by the system Chromium (reporting/snapshot.py) ---


def _snapshot_parser(sub) -> argparse.ArgumentParser:
    n = sub.add_parser(
        "snapshot",
        help="render the report view to a PDF or PNG with the system Chromium (headless)",
        description="Render the report view (header, health tiles, worst offers with their "
        "trend, themes and explanation, actions taken and their verdicts) headless with the "
        "system Chromium: a .pdf holds the whole report, a .png the first page at 150 dpi "
        "(1240 x 1754 px on A4, 1275 x 1650 px on Letter). The browser is $VOC_CHROMIUM "
        "when set, else /usr/bin/chromium, else chromium, chromium-browser, google-chrome or "
        "google-chrome-stable on PATH. Exit status 0 when written, 2 for a usage problem or "
        "no browser, 1 when Chromium fails.",
    )
    who = n.add_mutually_exclusive_group()
    who.add_argument(
        "--seller",
        metavar="ID",
        help="the report of this seller (default: the page's default view: the demo's "
        "featured seller when present, else the first seller)",
    )
    who.add_argument(
        "--category",
        metavar="C",
        help="instead, the report of a category manager of this category",
    )
    n.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="as-of day (default: the latest order day)",
    )
    n.add_argument(
        "--window-days",
        type=int,
        default=90,
        metavar="N",
        help="window length in days, at least 1 (default 90)",
    )
    n.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)"
    )
    n.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="the file to write: FILE.pdf (the whole report) or FILE.png (the first page)",
    )
    return n


def _snapshot(store_root: Path, args) -> int:
    from reporting.snapshot import run

    return run(
        store_root,
        seller=args.seller,
        category=args.category,
        as_of=args.as_of,
        window_days=args.window_days,
        out=args.out,
        paper=args.paper,
    )


# --- action: seller actions in the application state (engine/app_state.py) -------------


def _action_parser(sub) -> argparse.ArgumentParser:
    from engine.app_state import ACTION_KINDS, NOTE_MAX_CHARS

    a = sub.add_parser(
        "action",
        help="record, list or remove seller actions (shown on the trend, with verdicts)",
        description="Seller actions, kept in the store folder's application state "
        "(app_state.sqlite), which imports never replace. Exit status 0, 2 for bad input "
        "(said why), 1 when `remove` finds no such action.",
    )
    what = a.add_subparsers(dest="action_command", metavar="add|list|remove", required=True)
    add = what.add_parser(
        "add",
        help="record an action on an offer",
        description="Record an action. The offer must be in the store, the day on or before "
        "the data's last day and not before the offer was created.",
    )
    add.add_argument("--seller", required=True, metavar="ID", help="the offer's seller id")
    add.add_argument("--sku", required=True, metavar="SKU", help="the offer's SKU")
    add.add_argument("--date", required=True, type=_date, metavar="YYYY-MM-DD", help="its day")
    add.add_argument("--kind", required=True, choices=tuple(ACTION_KINDS), help="what was done")
    add.add_argument("--note", metavar="TEXT", help=f"a note, at most {NOTE_MAX_CHARS} chars")
    ls = what.add_parser("list", help="print the actions as CSV or JSON")
    ls.add_argument("--seller", metavar="ID", help="only this seller's actions")
    ls.add_argument("--sku", metavar="SKU", help="only this SKU's actions")
    ls.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    rm = what.add_parser(
        "remove",
        help="remove a recorded action by its id",
        description="Remove an action recorded on the page or with `action add` (its id is "
        "in `action list`). Actions that came with the data are removed by importing it "
        "without them.",
    )
    rm.add_argument("id", type=int, metavar="ID", help="the action's id")
    a.commands = (add, ls, rm)  # type: ignore[attr-defined]
    return a


def _action(store_root: Path, args) -> int:
    verb = args.action_command
    return commands.run_action(
        store_root,
        verb,
        seller_id=getattr(args, "seller", None),
        sku=getattr(args, "sku", None),
        day=getattr(args, "date", None),
        kind=getattr(args, "kind", None),
        note=getattr(args, "note", None),
        action_id=getattr(args, "id", None),
        fmt=getattr(args, "format", "csv"),
    )


# --- user: who may sign in (engine/access.py, kept in the application state) -----------


def _user_parser(sub) -> argparse.ArgumentParser:
    from engine.access import ROLES

    u = sub.add_parser(
        "user",
        help="add, remove or list the users who may sign in (sign-in is required once one exists)",
        description="Users of the page, kept in the store folder's application state "
        "(app_state.sqlite). With no users the page runs in demo mode (no sign-in, a 'View "
        "as' switch); as soon as one exists, everyone signs in at /login and sees only what "
        "their role allows: a seller their own offers, a category manager the offers of "
        "their categories, an admin everything. Passwords are read from standard input "
        "(typed twice at a terminal, or the first line piped in), never from the command "
        "line. Exit status 0, 2 for bad input (said why), 1 when there is no such user.",
    )
    what = u.add_subparsers(dest="user_command", metavar="add|remove|list|password", required=True)
    add = what.add_parser(
        "add",
        help="add a user (password from standard input)",
        description="Add a user. A seller needs --seller, a category manager at least one "
        "--category; passwords have at least 10 characters.",
    )
    add.add_argument("name", metavar="NAME", help="the sign-in name (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=ROLES, help="what the user may see")
    add.add_argument("--seller", metavar="ID", help="a seller's seller id")
    add.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="C",
        help="a category manager's category; repeatable",
    )
    rm = what.add_parser("remove", help="remove a user (their sessions end)")
    rm.add_argument("name", metavar="NAME")
    ls = what.add_parser("list", help="print the users (never their passwords)")
    ls.add_argument("--format", choices=("text", "json"), default="text", help="default text")
    pw = what.add_parser(
        "password", help="set a user's password from standard input (their sessions end)"
    )
    pw.add_argument("name", metavar="NAME")
    u.commands = (add, rm, ls, pw)  # type: ignore[attr-defined]
    return u


def _user(store_root: Path, args) -> int:
    from engine.user_commands import run_user

    return run_user(
        store_root,
        args.user_command,
        name=getattr(args, "name", None),
        role=getattr(args, "role", None),
        seller_id=getattr(args, "seller", None),
        categories=getattr(args, "category", None),
        fmt=getattr(args, "format", "text"),
    )


def _serve(store_root: Path, args) -> int:
    """Prepare the store, check the sign-in set-up, then serve (gunicorn, or Flask's
    development server with --debug on loopback only)."""
    from engine.app_state import AppState
    from serving.auth import SignInConfigError, secret_from_env, session_hours
    from serving.guard import limits

    host = getattr(args, "host", "127.0.0.1")
    port = getattr(args, "port", 8050)
    workers = getattr(args, "workers", 1)
    threads = getattr(args, "threads", 4)
    debug = getattr(args, "debug", False)
    if workers < 1 or threads < 1:
        print("--workers and --threads must be at least 1", file=sys.stderr)
        return 2
    if debug and host not in ("127.0.0.1", "localhost", "::1"):
        print("--debug shows errors and code on the page: only on 127.0.0.1", file=sys.stderr)
        return 2
    derived = getattr(args, "derived", None)
    if derived is not None:
        from engine import lake

        try:
            lake.check_derived(derived)
        except lake.LakeError as err:
            print(f"not started: --derived: {err}", file=sys.stderr)
            return 2
        os.environ[DERIVED_ENV] = str(derived.resolve())
    try:
        secret_from_env(required=AppState.beside(store_root).has_users())
        session_hours()
        limits()
    except (SignInConfigError, ValueError) as err:
        print(f"not started: {err}", file=sys.stderr)
        return 2
    if debug:
        commands.ensure_store(store_root)
        create_app(store_root).run(host=host, port=port, debug=True)
        return 0
    # The store is prepared in a process of its own: the workers are forked from this one,
    # and a fork after polars or DuckDB started their thread pools hangs the child's first
    # query (the pools' locks come along, their threads do not).
    import multiprocessing

    prepare = multiprocessing.get_context("spawn").Process(
        target=commands.ensure_store, args=(store_root,), name="voc-prepare"
    )
    prepare.start()
    prepare.join()
    if prepare.exitcode != 0:
        print("not started: the store could not be prepared (see above)", file=sys.stderr)
        return 2
    from serving.gunicorn import run

    return run(store_root, host=host, port=port, workers=workers, threads=threads)


def _import_files(args) -> list[InputFile]:
    files = [InputFile(f) for f in args.files]
    files += [InputFile(f, "catalogue") for f in args.catalogue]
    files += [InputFile(f, "benchmark") for f in args.benchmark]
    files += [
        InputFile(getattr(args, t), t)
        for t in ("offers", "orders", "feedback", "actions")
        if getattr(args, t)
    ]
    return files


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store_root = store.store_path(args.store)
    command = args.command or "serve"
    if command == "import":
        files = _import_files(args)
        if not files:
            print(
                "nothing to import: name the files (e.g. python app.py import reports/*)",
                file=sys.stderr,
            )
            return 2
        return commands.run_import(
            store_root, files, seller=args.seller, encoding=args.encoding, wait=not args.no_wait
        )
    if command == "report":
        if args.ncx_orders and not (args.seller and args.sku):
            print("--ncx-orders needs the offer: --seller ID --sku SKU", file=sys.stderr)
            return 2
        if args.sku is not None and not args.ncx_orders:
            print("--sku is only for --ncx-orders", file=sys.stderr)
            return 2
        if args.window_days < 1:
            print("--window-days must be at least 1", file=sys.stderr)
            return 2
        if args.derived and args.data:
            print("--derived reads the store's canonical tables: not with --data", file=sys.stderr)
            return 2
        return commands.run_report(
            None if args.data else store_root,
            as_of=args.as_of,
            window_days=args.window_days,
            seller_id=args.seller,
            category=args.category,
            data_dir=args.data,
            fmt=args.format,
            actions=args.actions,
            at_risk=args.at_risk,
            events=args.events,
            ncx_orders=args.ncx_orders,
            sku=args.sku,
            derived_dir=args.derived,
        )
    if command == "action":
        return _action(store_root, args)
    if command == "snapshot":
        return _snapshot(store_root, args)
    if command == "demo":
        if args.amazon_reports:
            return commands.write_demo_reports(args.amazon_reports, seed=args.seed)
        if not args.scale > 0:
            print("--scale must be above 0 (1 is the demo's usual size)", file=sys.stderr)
            return 2
        return commands.build_demo(store_root, scale=args.scale, seed=args.seed, force=args.force)
    if command == "user":
        return _user(store_root, args)
    if command == "export":
        return commands.run_export(store_root, args.lake)
    if command == "derive":
        if args.master and args.engine != "spark":
            print("--master is only for --engine spark", file=sys.stderr)
            return 2
        return commands.run_derive(args.lake, engine=args.engine, master=args.master)
    return _serve(store_root, args)


if __name__ == "__main__":
    sys.exit(main())

"""Voice of the Customer: the Dash app (``serve``) and the command line.

python app.py                      serve the page (builds the demo on first start)
python app.py import --orders F …  add canonical CSV/Parquet files to the store
python app.py report --as-of D …   print health per offer as CSV or JSON
python app.py demo [--scale X]     rebuild the store with the demo marketplace
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from engine import commands, store


def create_app(store_file: Path):
    """The Dash app over a read-only connection to ``store_file``."""
    import dash

    from callbacks import register_callbacks, show_error
    from engine.service import VocService
    from layouts.page import layout

    service = VocService.open(store_file)
    app = dash.Dash(
        __name__,
        title="Voice of the Customer",
        # Bootstrap is served from assets/ (vendored): the page must work offline.
        update_title=None,
        on_error=show_error,
    )

    def serve_layout():
        return layout(
            sellers=seller_options(service), categories=service.categories(), policy=service.policy
        )

    app.layout = serve_layout
    register_callbacks(app, service)
    return app


def seller_options(service) -> list[dict]:
    """'View as' choices: every seller (the demo seller first) and a category manager."""
    from callbacks.state import CM
    from engine.demo import DEMO_SELLER_ID, SELLER_NAMES

    def label(seller_id: str) -> str:
        name = SELLER_NAMES.get(seller_id)
        suffix = " (demo seller)" if seller_id == DEMO_SELLER_ID else ""
        return f"Seller: {name or seller_id}{suffix}"

    sellers = sorted(service.sellers(), key=lambda s: (s != DEMO_SELLER_ID, s))
    return [{"label": "Category manager", "value": CM}] + [
        {"label": label(s), "value": s} for s in sellers
    ]


def __getattr__(name: str):
    """``app.server`` for a WSGI server (``gunicorn app:server``), built on first access."""
    if name == "server":
        store_file = store.store_path()
        commands.ensure_store(store_file)
        return create_app(store_file).server
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
    p.add_argument("--store", help="DuckDB store file (default: $VOC_STORE or data/voc.duckdb)")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("serve", help="serve the page (default)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8050)
    s.add_argument("--debug", action="store_true")

    i = sub.add_parser("import", help="import canonical CSV/Parquet files")
    for table in ("offers", "orders", "feedback", "actions"):
        i.add_argument(f"--{table}", type=Path, metavar="FILE")
    i.add_argument("--encoding", help="text encoding of CSV files (default: UTF-8, else cp1252)")

    r = sub.add_parser("report", help="print health per offer")
    r.add_argument("--as-of", type=_date, help="as-of day (default: latest day in the data)")
    r.add_argument("--window-days", type=int, default=90)
    r.add_argument("--seller")
    r.add_argument("--category")
    r.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="read offers.csv, orders.csv, feedback.csv from DIR instead of the store",
    )
    r.add_argument("--format", choices=("csv", "json"), default="csv")

    d = sub.add_parser("demo", help="rebuild the store with the demo marketplace")
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--seed", type=int, default=7)

    for sp in (s, i, r, d):  # --store is accepted after the command too
        sp.add_argument("--store", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store_file = store.store_path(args.store)
    command = args.command or "serve"
    if command == "import":
        files = {
            t: getattr(args, t)
            for t in ("offers", "orders", "feedback", "actions")
            if getattr(args, t)
        }
        if not files:
            print(
                "nothing to import: give --offers, --orders, --feedback and/or --actions",
                file=sys.stderr,
            )
            return 2
        return commands.run_import(store_file, files, encoding=args.encoding)
    if command == "report":
        if args.window_days < 1:
            print("--window-days must be at least 1", file=sys.stderr)
            return 2
        return commands.run_report(
            None if args.data else store_file,
            as_of=args.as_of,
            window_days=args.window_days,
            seller_id=args.seller,
            category=args.category,
            data_dir=args.data,
            fmt=args.format,
        )
    if command == "demo":
        commands.build_demo(store_file, scale=args.scale, seed=args.seed)
        return 0
    commands.ensure_store(store_file)
    app = create_app(store_file)
    app.run(
        host=getattr(args, "host", "127.0.0.1"),
        port=getattr(args, "port", 8050),
        debug=getattr(args, "debug", False),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``fzkg`` command line. Each sub-command lives in :mod:`web.commands`."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ingest.remote_store import RemoteStoreError
from web import commands


class CommandError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="data directory (default: $FZKG_DATA or ./data)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fzkg", description="Knowledge graph and exact full-text search "
                                     "over Chinese rule-of-law government reports.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CommandError as error:
        # one line: a parser's multi-line diagnostics are cut to their first line
        message = str(error).strip().splitlines()[0] if str(error).strip() else "failed"
        print(f"fzkg {args.command}: {message}", file=sys.stderr)
        return 2
    except RemoteStoreError as error:
        # the graph's SPARQL server did not answer or refused: its one-line message names it
        print(f"fzkg {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # run the importable module's main, so commands raise the CommandError it catches
    from web import cli

    sys.exit(cli.main())

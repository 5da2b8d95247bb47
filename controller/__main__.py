"""Command line of the controller: ``asya-controller version`` prints the version."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from controller import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asya-controller", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="print the version")
    parser.parse_args(argv)
    print(__version__)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

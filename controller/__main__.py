"""Command line of the controller: ``asya-controller version`` prints the version, ``asya-controller crd``
the AsyncActor CustomResourceDefinition as YAML."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from controller import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asya-controller", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="print the version")
    commands.add_parser("crd", help="print the AsyncActor CustomResourceDefinition (YAML)")
    args = parser.parse_args(argv)
    if args.command == "crd":
        from controller.api.crd import crd_yaml

        print(crd_yaml(), end="")
        return 0
    print(__version__)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

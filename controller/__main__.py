"""Command line of the controller.

``asya-controller run`` runs the controller (settings from flags and the environment, contract §8);
``asya-controller crd`` prints the AsyncActor CustomResourceDefinition as YAML; ``asya-controller version``
prints the version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from controller import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asya-controller", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("version", help="print the version")
    commands.add_parser("crd", help="print the AsyncActor CustomResourceDefinition (YAML)")
    run_parser = commands.add_parser("run", help="run the controller")
    from controller.settings import SettingsError, add_run_arguments, settings_from

    add_run_arguments(run_parser)
    args = parser.parse_args(argv)
    if args.command == "crd":
        from controller.api.crd import crd_yaml

        print(crd_yaml(), end="")
        return 0
    if args.command == "run":
        from controller.app import run

        try:
            settings = settings_from(args, os.environ)
        except SettingsError as exc:
            print(f"asya-controller: {exc}", file=sys.stderr)
            return 2
        return asyncio.run(run(settings))
    print(__version__)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

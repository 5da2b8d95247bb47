"""``python -m tests.kubeapi serve --port PORT --kubeconfig PATH``: run the emulator until SIGINT/SIGTERM.

It writes a kubeconfig for kubectl (``KUBECONFIG=PATH``) and kubernetes-asyncio, prints
``serving <url> kubeconfig <path>`` once it accepts connections, and exits 0 on a signal. ``--port 0`` picks a
free port. Faults are injected at run time over HTTP, see ``server`` (``/_emulator/faults``). With
``--simulate`` the simulated cluster runs too (nodes, controllers, kubelet, KEDA; see ``sim.cli``).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from tests.kubeapi.server import KubeAPI
from tests.kubeapi.sim.cli import add_arguments as add_simulation_arguments
from tests.kubeapi.sim.cli import simulated


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.kubeapi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Kubernetes API emulator on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    serve.add_argument("--kubeconfig", type=Path, required=True, help="where to write the kubeconfig")
    serve.add_argument("--history", type=int, default=1000, help="watch events kept per resource")
    serve.add_argument(
        "--bookmark-interval", type=float, default=60.0, help="seconds between watch bookmarks"
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for generated names and fault fractions")
    add_simulation_arguments(serve)
    return parser


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    api = KubeAPI(
        port=args.port,
        kubeconfig_path=args.kubeconfig,
        history=args.history,
        bookmark_interval=args.bookmark_interval,
        seed=args.seed,
    )
    async with api:
        print(f"serving {api.url} kubeconfig {api.kubeconfig_path}", flush=True)
        async with simulated(api, args):
            await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""kubectl, the second and independent client, run against a kubeconfig: the one helper every tier uses.

``await kubectl("get", "pods")`` runs it, fails the test when it exits non-zero and returns its standard
output; ``await kubectl.run(...)`` returns the exit code and both streams for tests that expect a refusal;
``await kubectl.start(...)`` starts it and returns the process, for commands that wait (``delete``,
``wait``). ``stdin`` feeds a manifest to ``-f -``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

KUBECTL = shutil.which("kubectl") or "kubectl"
TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Completed:
    code: int
    out: str
    err: str


class Kubectl:
    def __init__(self, kubeconfig: Path, *, cache: Path | None = None) -> None:
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        self.cache = cache

    async def start(self, *args: str, stdin: bool = False) -> asyncio.subprocess.Process:
        cache = (f"--cache-dir={self.cache}",) if self.cache is not None else ()
        return await asyncio.create_subprocess_exec(
            KUBECTL,
            *cache,
            "--request-timeout=20s",
            *args,
            env=self.env,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def run(self, *args: str, stdin: str | None = None) -> Completed:
        process = await self.start(*args, stdin=stdin is not None)
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin is not None else None), TIMEOUT
        )
        return Completed(process.returncode or 0, out.decode(), err.decode())

    async def __call__(self, *args: str, stdin: str | None = None) -> str:
        result = await self.run(*args, stdin=stdin)
        assert result.code == 0, f"kubectl {' '.join(args)}: {result.err}"
        return result.out

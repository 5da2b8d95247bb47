"""A process's resident set and CPU time, read from ``/proc`` (Linux)."""

from __future__ import annotations

import os


def rss_mib(pid: int | str = "self") -> float:
    """Resident set of a process in MiB (``VmRSS``); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process so far; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # After the command name (in parentheses, and it may hold spaces): the state is field 3 and
            # utime, stime are fields 14 and 15 of the whole line.
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

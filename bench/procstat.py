"""CPU time and resident memory of a process and its descendants, read from /proc (Linux)."""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu_s: float
    rss_mb: float
    peak_rss_mb: float


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for current in found:
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as children:
                    found.extend(int(child) for child in children.read().split())
            except OSError:
                continue
    return found


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _memory_kb(pid: int) -> tuple[int, int]:
    rss = peak = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    return rss, peak


def usage(pid: int) -> Usage:
    """Summed over the process tree; peak RSS is each process's high-water mark, added up."""
    cpu = 0.0
    rss = peak = 0
    for each in _descendants(pid):
        try:
            cpu += _cpu_s(each)
            each_rss, each_peak = _memory_kb(each)
        except (OSError, IndexError, ValueError):
            continue
        rss += each_rss
        peak += each_peak
    return Usage(cpu_s=cpu, rss_mb=rss / 1024, peak_rss_mb=peak / 1024)

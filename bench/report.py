"""What a run prints and writes: the table, the ratios, the targets, results.md and bench.png."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.gateways import OURS


def machine() -> dict[str, Any]:
    model = "?"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    node = shutil.which("node")
    node_version = (
        subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if node
        else None
    )
    return {
        "cpu": model,
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": node_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _main_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for run in summary["gateways"]:
        load = run["load"]
        if not run["ok"] or load is None:
            reason = run["reason"].splitlines()[0][:60] if run["reason"] else "failed"
            rows.append([run["label"], f"FAILED: {reason}"] + [""] * 9)
            continue
        rows.append(
            [
                run["label"],
                "ok",
                _fmt(load["rps"], 0),
                _fmt(load["p50_ms"], 2),
                _fmt(load["p95_ms"], 2),
                _fmt(load["p99_ms"], 2),
                str(load["error_count"]),
                _fmt(run["cpu_s"], 1),
                _fmt(run["cpu_ms_per_request"], 3),
                _fmt(run["peak_rss_mb"], 0),
                _fmt(run.get("subgraph_requests_per_request"), 1),
            ]
        )
    return rows


_MAIN_HEADER = [
    "gateway",
    "status",
    "RPS",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "CPU s",
    "CPU ms/req",
    "peak RSS MB",
    "subgraph req/req",
]


def _micro_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for run in summary["gateways"]:
        micro = run["micro"]
        if not micro:
            continue
        rows.append(
            [
                run["label"],
                _fmt(micro.get("one_fetch_p50_ms"), 3),
                _fmt(micro.get("added_p50_ms"), 3),
                _fmt(micro.get("cold_request_ms"), 2),
                _fmt(micro.get("warm_request_ms"), 2),
                _fmt(micro.get("distinct_documents_rss_growth_mb"), 0),
                _fmt(micro.get("rss_after_distinct_documents_mb"), 0),
            ]
        )
    return rows


def _micro_header(summary: dict[str, Any]) -> list[str]:
    count = next(
        (r["micro"].get("distinct_documents") for r in summary["gateways"] if r["micro"]), None
    )
    return [
        "gateway",
        "one-fetch p50 ms",
        "added p50 ms",
        "large query cold ms",
        "large query warm ms",
        f"RSS growth after {count or 'N'} documents MB",
        "RSS then MB",
    ]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[n]) for row in [header, *rows]) for n in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True))]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def _by_key(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["key"]: run for run in summary["gateways"] if run["ok"] and run["load"]}


TRUST_TARGET = 0.9  # the deep query with a token keeps at least this share of the RPS without


def _compared(summary: dict[str, Any], key: str, base: str) -> dict[str, float] | None:
    """Run `key` against run `base`, both measured in this run."""
    runs = _by_key(summary)
    against, measured = runs.get(base), runs.get(key)
    if against is None or measured is None or not against["load"]["rps"]:
        return None
    return {
        "rps": measured["load"]["rps"] / against["load"]["rps"],
        "p50": measured["load"]["p50_ms"] / against["load"]["p50_ms"],
        "p99": measured["load"]["p99_ms"] / against["load"]["p99_ms"],
        "cpu_ms_per_request": measured["cpu_ms_per_request"] / against["cpu_ms_per_request"],
    }


def trust_chain(summary: dict[str, Any]) -> dict[str, float] | None:
    """ours-auth against ours: the cost of the trust chain."""
    return _compared(summary, "ours-auth", "ours")


def disclosure_log(summary: dict[str, Any]) -> dict[str, float] | None:
    """ours-logged against ours-auth: the cost of recording every response's disclosures."""
    return _compared(summary, "ours-logged", "ours-auth")


def _ratio_line(name: str, ratio: dict[str, float]) -> str:
    return (
        f"{name}: RPS x{ratio['rps']:.3f}, p50 x{ratio['p50']:.2f}, p99 x{ratio['p99']:.2f}, "
        f"CPU ms/req x{ratio['cpu_ms_per_request']:.3f}"
    )


def ratios(summary: dict[str, Any]) -> list[str]:
    runs = _by_key(summary)
    lines = []
    chain = trust_chain(summary)
    if chain is not None:
        lines.append(_ratio_line("ours with token + authorization vs without", chain))
    logged = disclosure_log(summary)
    if logged is not None:
        lines.append(
            _ratio_line("ours with the disclosure log vs without (both with token)", logged)
        )
    ours = runs.get("ours")
    if ours is None:
        return lines
    for key, other in runs.items():
        if key in OURS:
            continue
        rps = ours["load"]["rps"] / other["load"]["rps"] if other["load"]["rps"] else 0.0
        p99 = ours["load"]["p99_ms"] / other["load"]["p99_ms"] if other["load"]["p99_ms"] else 0.0
        lines.append(f"ours vs {other['label']}: RPS x{rps:.2f}, p99 x{p99:.2f} (lower is better)")
    return lines


def targets(summary: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, met or None when not measured, the measured value) for our gateway."""
    runs = _by_key(summary)
    ours = runs.get("ours")
    checks: list[tuple[str, bool | None, str]] = []
    if ours is None:
        # A run of the other variants only (their ratios are printed above).
        variants = {run["key"] for run in summary["gateways"]} & set(OURS)
        return [] if variants else [("our gateway measured", False, "no successful run")]
    for key, factor in (("apollo", 2.0), ("hive", 1.0)):
        other = runs.get(key)
        name = f"deep RPS >= {factor:g}x {key}"
        if other is None:
            checks.append((name, None, "not measured"))
            continue
        ratio = ours["load"]["rps"] / other["load"]["rps"]
        checks.append((name, ratio >= factor, f"x{ratio:.2f}"))
        checks.append(
            (
                f"p99 <= {key}",
                ours["load"]["p99_ms"] <= other["load"]["p99_ms"],
                f"{ours['load']['p99_ms']:.1f} vs {other['load']['p99_ms']:.1f} ms",
            )
        )
    if "ours-auth" in {run["key"] for run in summary["gateways"]}:
        chain = trust_chain(summary)
        name = f"deep RPS with token + authorization >= {TRUST_TARGET:g}x without"
        if chain is None:
            checks.append((name, False, "ours-auth did not complete"))
        else:
            checks.append((name, chain["rps"] >= TRUST_TARGET, f"x{chain['rps']:.3f}"))
    added = ours["micro"].get("added_p50_ms")
    checks.append(
        ("added p50 <= 1 ms (one fetch)", None if added is None else added <= 1.0, _fmt(added, 3))
    )
    lookup = summary.get("in_process", {}).get("cached_lookup_us")
    checks.append(
        ("cached plan lookup < 50 us", None if lookup is None else lookup < 50, _fmt(lookup, 1))
    )
    concurrency = summary["config"]["concurrency"]
    checks.append(
        (
            f"peak RSS < 200 MB at {concurrency} clients",
            ours["peak_rss_mb"] < 200,
            f"{ours['peak_rss_mb']:.0f} MB",
        )
    )
    return checks


def in_process_line(numbers: dict[str, Any]) -> str:
    if "skipped" in numbers:
        return f"skipped: {numbers['skipped']}"
    return (
        f"large query cold: parse + validate {_fmt(numbers.get('cold_prepare_ms'), 2)} ms, "
        f"normalise + plan {_fmt(numbers.get('cold_plan_ms'), 2)} ms; "
        f"cached lookup {_fmt(numbers.get('cached_lookup_us'), 2)} us; "
        f"{numbers.get('plans')} cached deep-query plans: "
        f"+{_fmt(numbers.get('plans_rss_growth_mb'), 0)} MB RSS, "
        f"{_fmt(numbers.get('deep_cold_prepare_and_plan_ms'), 2)} ms each to make"
    )


def _target_lines(summary: dict[str, Any]) -> list[str]:
    marks = {True: "met", False: "MISSED", None: "n/a"}
    return [f"{marks[met]:<6} {name}: {value}" for name, met, value in targets(summary)]


def _plot(summary: dict[str, Any], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed"
    runs = [run for run in summary["gateways"] if run["ok"] and run["load"]]
    if not runs:
        return "no successful run"
    labels = [run["label"].replace(" ", "\n", 1) for run in runs]
    ours_colours = {"ours": "#3b7dd8", "ours-auth": "#7fa9e6", "ours-logged": "#a9c6ef"}
    colours = [ours_colours.get(run["key"], "#9aa5b1") for run in runs]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.bar(labels, [run["load"]["rps"] for run in runs], color=colours)
    left.set_title("deep query throughput (RPS, higher is better)")
    right.bar(labels, [run["load"]["p99_ms"] for run in runs], color=colours)
    right.set_title("p99 latency (ms, lower is better)")
    config = summary["config"]
    figure.suptitle(
        f"{config['concurrency']} connections, {config['duration_s']:g}s, "
        f"{summary['machine']['cpus']} CPUs, {summary['date']}",
        fontsize=9,
    )
    for axes in (left, right):
        axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return None


def markdown(summary: dict[str, Any]) -> str:
    config, machine_info = summary["config"], summary["machine"]
    lines = [
        f"Date: {summary['date']}  ",
        f"Command: `{summary['command']}`  ",
        f"Machine: {machine_info['cpu']}, {machine_info['cpus']} CPUs, "
        f"{machine_info['memory_gb']} GB, {machine_info['os']}, Python {machine_info['python']}, "
        f"Node {machine_info['node']}; "
        f"load average at start {machine_info['load_average_at_start']}  ",
        f"Load: deep query, {config['concurrency']} connections, {config['warmup_s']:g}s warm-up, "
        f"{config['duration_s']:g}s measured, {config['generator']}; gateway on CPU "
        f"{config['gateway_cpus']}, load generator and subgraphs on CPU {config['load_cpus']}",
        "",
        _markdown_table(_MAIN_HEADER, _main_rows(summary)),
        "",
    ]
    lines.extend(f"- {line}" for line in ratios(summary))
    micro_rows = _micro_rows(summary)
    if micro_rows:
        direct = summary.get("direct_one_fetch_p50_ms")
        lines += [
            "",
            f"Micro-benchmarks (subgraph called directly: one-fetch p50 {_fmt(direct, 3)} ms):",
            "",
            _markdown_table(_micro_header(summary), micro_rows),
        ]
    in_process = summary.get("in_process")
    if in_process:
        lines += ["", "In process (ours): " + in_process_line(in_process)]
    lines += ["", "Targets (ours):", ""]
    lines.extend(f"- {line}" for line in _target_lines(summary))
    return "\n".join(lines) + "\n"


def write(summary: dict[str, Any], results: Path) -> None:
    """Print the report and write results.md and bench.png next to results.json."""
    print()
    print(_text_table(_MAIN_HEADER, _main_rows(summary)))
    for run in summary["gateways"]:
        if not run["ok"]:
            print(f"\n{run['label']} FAILED: {run['reason']}")
    for line in ratios(summary):
        print(line)
    micro_rows = _micro_rows(summary)
    if micro_rows:
        direct = _fmt(summary.get("direct_one_fetch_p50_ms"), 3)
        print(f"\nmicro (subgraph called directly: one-fetch p50 {direct} ms)")
        print(_text_table(_micro_header(summary), micro_rows))
    if summary.get("in_process"):
        print("\nin process (ours): " + in_process_line(summary["in_process"]))
    print("\ntargets (ours):")
    for line in _target_lines(summary):
        print("  " + line)
    (results / "results.md").write_text(markdown(summary))
    problem = _plot(summary, results / "bench.png")
    print(
        f"\nresults: {results}/results.md"
        + (f" (no plot: {problem})" if problem else ", bench.png")
    )

"""How fast ``facealign-gui --version`` and ``--help`` answer (target: well under a second).

Each command runs as a fresh process ``--runs`` times after one warm-up run, in alternation:
every round runs the baseline and then each command once, so a change in load hits all
rows alike. The table shows the median wall time and the median CPU time of the child
(user + system, from ``getrusage``), and both as a ratio to ``python -c pass`` measured in
the same run. CPU time is the steadier number on a shared machine: wall time also counts
waiting for a core.

The console script is run by its real path (not a pyenv shim, which adds a shell script and
a second interpreter lookup). When ``build/dist/facealign-gui/facealign-gui`` exists (see
packaging/smoke.sh), the frozen build is measured too.

    python benchmarks/bench_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FROZEN = ROOT / "build" / "dist" / "facealign-gui" / "facealign-gui"


def console_script() -> str | None:
    """The installed ``facealign-gui`` next to this interpreter, else the one on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "facealign-gui"
    if beside.is_file():
        return str(beside)
    return shutil.which("facealign-gui")


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and child CPU seconds of one run of ``cmd`` (which must exit 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(cmds: list[list[str]], runs: int) -> list[tuple[float, float]]:
    """Median wall and CPU seconds of each command: one warm-up each, then ``runs`` rounds
    that run every command once, in order (alternating with the baseline, ``cmds[0]``)."""
    for cmd in cmds:
        run_once(cmd)
    samples: list[list[tuple[float, float]]] = [[] for _ in cmds]
    for _ in range(runs):
        for k, cmd in enumerate(cmds):
            samples[k].append(run_once(cmd))
    return [
        (statistics.median(s[0] for s in rows), statistics.median(s[1] for s in rows))
        for rows in samples
    ]


def commands() -> list[tuple[str, list[str]]]:
    py = sys.executable
    rows = [
        ("python -c pass (baseline)", [py, "-c", "pass"]),
        ("python -m facealign_gui --version", [py, "-m", "facealign_gui", "--version"]),
    ]
    script = console_script()
    if script:
        rows += [
            ("facealign-gui --version", [script, "--version"]),
            ("facealign-gui --help", [script, "--help"]),
            ("facealign-gui predict --help", [script, "predict", "--help"]),
        ]
    if FROZEN.is_file():
        rows += [
            ("frozen: facealign-gui --version", [str(FROZEN), "--version"]),
            ("frozen: facealign-gui --help", [str(FROZEN), "--help"]),
        ]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command")
    ns = parser.parse_args()
    cmds = commands()
    rows = [
        (label, wall, cpu)
        for (label, _), (wall, cpu) in zip(
            cmds, measure([c for _, c in cmds], ns.runs), strict=True
        )
    ]
    base_wall, base_cpu = rows[0][1], rows[0][2]
    print(
        f"startup, median of {ns.runs} alternating rounds, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}"
    )
    print(f"{'command':<36} {'wall ms':>8} {'x base':>7} {'cpu ms':>8} {'x base':>7}")
    for label, wall, cpu in rows:
        print(
            f"{label:<36} {wall * 1e3:8.1f} {wall / base_wall:7.2f} "
            f"{cpu * 1e3:8.1f} {cpu / max(base_cpu, 1e-9):7.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

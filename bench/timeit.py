#!/usr/bin/env python3
"""Time commands against each other, interleaved: one warm-up run of each, then RUNS rounds in
which every command runs once (the order alternating between rounds). On a machine shared
with other work this keeps a burst of background load from landing on one command's runs
only, as happens when each command's runs come in one block. For each run: wall time, and the
child's user and system CPU time and peak RSS (from wait4). Output goes through a pipe and is
discarded (some tools behave differently when stdout is /dev/null).

usage: timeit.py RUNS OUT.json NAME=COMMAND [NAME=COMMAND ...]   (COMMAND split as by a shell)
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    while p.stdout.read(1 << 16):
        pass
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout.close()
    return {"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss, "exit": p.returncode}


def main():
    runs, out = int(sys.argv[1]), sys.argv[2]
    cmds = []
    for spec in sys.argv[3:]:
        name, cmd = spec.split("=", 1)
        cmds.append((name, shlex.split(cmd)))
    for _, argv in cmds:
        run_once(argv)
    results = {name: [] for name, _ in cmds}
    for i in range(runs):
        order = cmds if i % 2 == 0 else cmds[::-1]
        for name, argv in order:
            results[name].append(run_once(argv))
    summary = {}
    for name, argv in cmds:
        rs = results[name]
        walls = [r["wall"] for r in rs]
        summary[name] = {
            "command": " ".join(argv),
            "runs": len(rs),
            "median": statistics.median(walls),
            "min": min(walls),
            "mean": statistics.mean(walls),
            "stddev": statistics.stdev(walls) if len(walls) > 1 else 0.0,
            "user": statistics.mean(r["user"] for r in rs),
            "system": statistics.mean(r["sys"] for r in rs),
            "max_rss_kb": max(r["max_rss_kb"] for r in rs),
            "exit_codes": sorted({r["exit"] for r in rs}),
            "times": walls,
        }
        s = summary[name]
        print("%-14s median %.3f s  min %.3f s  mean %.3f s ± %.3f  (%d runs)  CPU user %.3f s + sys %.3f s"
              % (name, s["median"], s["min"], s["mean"], s["stddev"], s["runs"], s["user"], s["system"]))
    with open(out, "w") as fh:
        json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()

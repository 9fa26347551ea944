#!/usr/bin/env python3
"""Recall check: upsweep's JSON report (run with --show-secrets) against the corpus manifest.
Every planted secret must be found with its kind at exactly its planted locations (inside an
archive: the chain of names joined by `!`, as upsweep shows it), and nothing else may be found.
Usage: recall.py MANIFEST REPORT TREE_PREFIX"""

import json
import os
import sys


def main():
    manifest_path, report_path, prefix = sys.argv[1:4]
    planted = json.load(open(manifest_path))["planted"]
    report = json.load(open(report_path))
    prefix = prefix.rstrip("/") + "/"
    found = {}
    def place(l):
        path = l["path"]
        path = os.path.relpath(path, prefix) if path.startswith(prefix) or os.path.isabs(path) else path
        # Inside an archive: the outer file, then the names down to the entry, joined by `!`.
        return "!".join([path] + l.get("archive_path", [path])[1:])

    for f in report["findings"]:
        locs = sorted((place(l), l["line"], l["column"]) for l in f["locations"])
        found[f["secret"]] = (f["kind"], locs)
    want = {s: (e["kind"], sorted((l["path"], l["line"], l["column"]) for l in e["locations"])) for s, e in planted.items()}
    missed = [s for s in want if s not in found]
    extra = [s for s in found if s not in want]
    wrong = [s for s in want if s in found and found[s] != want[s]]
    for s in missed[:20]:
        print("  MISSED %s %s at %s" % (want[s][0], s[:12] + "...", want[s][1]))
    for s in extra[:20]:
        print("  EXTRA  %s %s at %s" % (found[s][0], s[:12] + "...", found[s][1]))
    for s in wrong[:20]:
        print("  WRONG  %s: planted %s, found %s" % (s[:12] + "...", want[s], found[s]))
    # Per plant class (the manifest's "class": how and where the corpus wrote it), so that
    # each format and place is measured on its own.
    by_class = {}
    for s, e in planted.items():
        c = by_class.setdefault(e.get("class", "?"), [0, 0])
        c[1] += 1
        c[0] += s in found and found[s] == want[s]
    print("recall by class: " + ", ".join("%s %d/%d" % (k, v[0], v[1]) for k, v in sorted(by_class.items())))
    locs = sum(len(v[1]) for v in want.values())
    ok = not (missed or extra or wrong)
    print("recall: %d/%d secrets (%d locations) found exactly; %d missed, %d extra, %d with wrong kind or location; errors: %d"
          % (len(want) - len(missed) - len(wrong), len(want), locs, len(missed), len(extra), len(wrong), len(report.get("errors", []))))
    sys.exit(0 if ok and not report.get("errors") else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# compare: two shoal-bench JSON files, row by row (matched by key): the round-trip p50 of RTT
# rows (higher is worse) and the msg/s of throughput and pattern rows (lower is worse). A shoal
# row that moved the wrong way by more than the tolerance (default 30%: this class of machine is
# noisy), or that had a result before and has none now, is a regression; the limits, libzmq and
# pyzmq rows are shown but never flagged (they measure the machine, not shoal), and a limit that
# moved more than the tolerance is called out, since then the machine changed under the numbers.
# Usage: compare.py OLD.json NEW.json [--tolerance 0.3] [--all]. Exit 0: no regression; 1:
# regressions; 2: bad arguments or files. Single-threaded.
import argparse
import json
import sys


def figure(row):
    """(value, unit, higher_is_better) of a row's median, or None when it has none."""
    m = row.get("median")
    if not m:
        return None
    if row.get("metric") == "rtt":
        return m.get("p50_ns"), "ns p50", False
    if row.get("impl") == "memcpy":
        return m.get("mb_per_s"), "MB/s", True
    return m.get("msgs_per_s"), "msg/s", True


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise ValueError(f"{path}: not a shoal-bench results file (no 'results' list)")
    rows = {}
    for r in doc["results"]:
        if isinstance(r, dict) and "key" in r:
            rows[r["key"]] = r
    return doc, rows


def main():
    ap = argparse.ArgumentParser(description="Flags regressions between two shoal-bench JSON files.")
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--tolerance", type=float, default=0.30,
                    help="allowed relative change the wrong way before a shoal row is a regression (default 0.30)")
    ap.add_argument("--all", action="store_true", help="list every row, not only those that moved beyond it")
    try:
        args = ap.parse_args()
    except SystemExit as e:
        return 2 if e.code else 0
    if not 0 <= args.tolerance < 10:
        print("compare: --tolerance must be between 0 and 10", file=sys.stderr)
        return 2
    try:
        old_doc, old = load(args.old)
        new_doc, new = load(args.new)
    except (OSError, ValueError) as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2

    print(f"old: {args.old} ({old_doc.get('date')}, {old_doc.get('mode')}, "
          f"{old_doc.get('machine', {}).get('cpu_model')})")
    print(f"new: {args.new} ({new_doc.get('date')}, {new_doc.get('mode')}, "
          f"{new_doc.get('machine', {}).get('cpu_model')})")
    print(f"tolerance {args.tolerance:.0%}; change > 0 is better, < 0 worse\n")
    print(f"{'row':<48} {'old':>12} {'new':>12} {'unit':<7} {'change':>8}  verdict")
    regressions, machine_moved, compared = [], [], 0
    for key, o in old.items():
        n = new.get(key)
        fo = figure(o)
        if n is None:
            if args.all:
                print(f"{key:<48} {'':>12} {'':>12} {'':<7} {'':>8}  not in the new file")
            continue
        fn = figure(n)
        shoal = o.get("impl") == "shoal"
        if fo is None or fo[0] is None or fo[0] <= 0:
            continue
        compared += 1
        if fn is None or fn[0] is None or fn[0] <= 0:
            verdict = "REGRESSION (no result now: " + str(n.get("error") or n.get("na") or "failed") + ")"
            if shoal:
                regressions.append(key)
            print(f"{key:<48} {fo[0]:>12.4g} {'-':>12} {fo[1]:<7} {'':>8}  {verdict}")
            continue
        # Relative improvement: positive is better whichever way the unit goes.
        ratio = fn[0] / fo[0] if fo[2] else fo[0] / fn[0]
        change = ratio - 1
        worse = change < 0 and 1 / ratio - 1 > args.tolerance
        better = change > args.tolerance
        verdict = "ok"
        if worse:
            verdict = "REGRESSION" if shoal else "worse (not shoal)"
            if shoal:
                regressions.append(key)
        elif better:
            verdict = "better"
        if o.get("impl") not in ("shoal", "libzmq", "pyzmq") and (worse or better):
            machine_moved.append(key)
            verdict += " — a limit: the machine changed"
        if args.all or worse or better:
            print(f"{key:<48} {fo[0]:>12.4g} {fn[0]:>12.4g} {fo[1]:<7} {change:>+8.0%}  {verdict}")
    added = [k for k in new if k not in old]
    if added:
        print(f"\nnew rows (no old figure): {', '.join(added)}")
    print(f"\n{compared} rows compared; {len(regressions)} regression(s) beyond {args.tolerance:.0%}")
    if machine_moved:
        print("note: these limits moved beyond the tolerance, so the machine (or its load) differs between the "
              "runs and the shoal rows may have moved with it: " + ", ".join(machine_moved))
    for k in regressions:
        print(f"REGRESSION: {k}")
    return 1 if regressions else 0


sys.exit(main())

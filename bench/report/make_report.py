#!/usr/bin/python3
# make_report: turns a shoal-bench JSON file into one self-contained HTML page (PNG plots drawn
# by matplotlib, embedded as data URIs): the machine and placement, a latency CDF for each
# section that has round-trip rows, throughput by message size, ratio bars (to the physical
# limits, to libzmq), socket-pattern rates, then every row and finding as tables. Generic over
# what the file holds: any section, row or finding shoal-bench writes appears without changes
# here. Usage: make_report.py <results.json> <report.html>. Single-threaded.
import base64
import html
import io
import json
import math
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

plt.rcParams.update({"font.size": 11, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 9,
                     "figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})

SIZE_SUFFIX = re.compile(r"\s+(\d+) (B|KiB|MiB)$")
COLORS = {"limit": "#555555", "shoal": "#1f77b4", "libzmq": "#d62728", "pyzmq": "#2ca02c"}
# Several lines of one library in a plot: shades of its colour, and one line style per library.
PALETTES = {"shoal": ["#1f77b4", "#17becf", "#9467bd", "#0b3c5d", "#6baed6"],
            "libzmq": ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22"],
            "pyzmq": ["#2ca02c", "#98df8a", "#006d2c", "#74c476"],
            "limit": ["#555555", "#999999", "#222222"]}
LINESTYLES = {"shoal": "-", "libzmq": "--", "pyzmq": ":", "limit": "-."}


class Painter:
    """Hands out a colour per line: the next shade of the line's library."""

    def __init__(self):
        self.used = {}

    def __call__(self, lib):
        i = self.used.get(lib, 0)
        self.used[lib] = i + 1
        return PALETTES[lib][i % len(PALETTES[lib])]


def png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def who(row):
    impl = row.get("impl", "")
    return impl if impl in ("shoal", "libzmq", "pyzmq") else "limit"


def round3(v):
    """v to three significant digits."""
    return float(f"{v:.3g}")


def ns_text(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:g} µs"
    return f"{ns:g} ns"


def size_text(b):
    if b >= 1 << 20 and b % (1 << 20) == 0:
        return f"{b >> 20} MiB"
    if b >= 1 << 10 and b % (1 << 10) == 0:
        return f"{b >> 10} KiB"
    return f"{b} B"


def rate_text(r):
    if r >= 1e6:
        return f"{r / 1e6:.2f} M"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k"
    return f"{r:.0f}"


def sections_in_order(rows):
    seen = []
    for r in rows:
        if r.get("section") not in seen:
            seen.append(r.get("section"))
    return seen


def latency_cdfs(rows):
    """One figure per section with round-trip rows: percentile (logit scale) against RTT (log)."""
    out = []
    for section in sections_in_order(rows):
        group = [r for r in rows if r.get("section") == section and r.get("metric") == "rtt" and r.get("cdf")
                 and r["cdf"].get("ns")]
        if not group:
            continue
        fig, ax = plt.subplots(figsize=(13, 5.5))
        paint = Painter()
        for r in group:
            pts = [(p, v) for p, v in zip(r["cdf"]["percentiles"], r["cdf"]["ns"]) if 0 < p < 100 and v > 0]
            if not pts:
                continue
            xs = [v for _, v in pts]
            ys = [p / 100 for p, _ in pts]
            ax.plot(xs, ys, LINESTYLES[who(r)], marker="o", markersize=3, linewidth=2, color=paint(who(r)),
                    label=f"{r['label']} (p50 {ns_text(round3(r['median']['p50_ns']))})")
        ax.set_xscale("log")
        ax.set_yscale("logit")
        ax.set_ylim(0.005, 0.99995)
        ticks = [0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999]
        ax.set_yticks(ticks)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"p{100 * y:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: ""))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: ns_text(x)))
        ax.set_xlabel("round-trip time, log scale (ticks in ns, µs, ms)")
        ax.set_ylabel("percentile of round trips at or below")
        ax.set_title(f"Latency CDF — {section}")
        ax.legend(loc="lower right", framealpha=0.9)
        out.append((f"Latency CDF: {section}", png(fig)))
    return out


def throughput_by_size(rows):
    """msg/s and MB/s against message size, one line per row family (label without its size)."""
    series = {}
    for r in rows:
        if r.get("metric") != "throughput" or not r.get("median") or "size" not in r:
            continue
        if r.get("impl") == "memcpy":
            continue  # a bandwidth floor, drawn as a line in the MB/s panel instead
        name = SIZE_SUFFIX.sub("", r["label"], count=1)
        series.setdefault((r.get("section"), name), []).append((r["size"], r["median"]["msgs_per_s"],
                                                               r["median"]["mb_per_s"], who(r)))
    if not series:
        return []
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 6))
    paint = Painter()
    for (_, name), pts in series.items():  # in the file's order
        pts.sort()
        xs = [p[0] for p in pts]
        style = dict(marker="o", markersize=7 if len(pts) == 1 else 5, linewidth=2, color=paint(pts[0][3]),
                     linestyle=LINESTYLES[pts[0][3]])
        a1.plot(xs, [p[1] for p in pts], label=name, **style)
        a2.plot(xs, [p[2] for p in pts], label=name, **style)
    for r in rows:
        if r.get("impl") == "memcpy" and r.get("median"):
            a2.axhline(r["median"]["mb_per_s"], color="#555555", linewidth=1, linestyle=":")
            a2.annotate(r["label"], (1, r["median"]["mb_per_s"]), xycoords=("axes fraction", "data"),
                        ha="right", va="bottom", fontsize=9, color="#555555")
    for ax, ylabel in ((a1, "messages per second (log scale)"), (a2, "MB/s, 10^6 bytes per second (log scale)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("message size (bytes, log scale)")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: size_text(int(x)) if x >= 1 else ""))
    a1.set_title("Throughput by size: messages per second")
    a2.set_title("Throughput by size: payload bandwidth")
    handles, labels = a1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.02 - 0.03 * math.ceil(
        len(labels) / 3)), framealpha=0.9)
    fig.tight_layout()
    return [("Throughput by message size", png(fig))]


def ratio_bars(findings):
    """Horizontal bars of each ratio finding (log scale, a line at 1x), to the limits and to libzmq."""
    out = []
    ratios = [f for f in findings if f.get("is_ratio", True) and isinstance(f.get("value"), (int, float))
              and f["value"] > 0]
    groups = [("Ratios to the physical limits (lower is closer to the limit for RTT; higher for msg/s)",
               [f for f in ratios if "libzmq" not in f["name"]]),
              ("Ratios to libzmq (each bar's name says which way: a / b)",
               [f for f in ratios if "libzmq" in f["name"]])]
    for title, group in groups:
        if not group:
            continue
        fig, ax = plt.subplots(figsize=(12, 0.42 * len(group) + 1.6))
        names = [f["name"] for f in group]
        values = [f["value"] for f in group]
        colors = ["#2ca02c" if f.get("pass") is True else "#d62728" if f.get("pass") is False else "#1f77b4"
                  for f in group]
        ax.barh(range(len(group)), values, color=colors)
        ax.set_yticks(range(len(group)))
        ax.set_yticklabels(names)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1, color="black", linewidth=1)
        for i, f in enumerate(group):
            text = f"{f['value']:.2f}x" if f["value"] < 10 else f"{f['value']:.1f}x"
            if "target" in f:
                text += f"  (target {f['target_op']} {f['target']:g}: {'PASS' if f['pass'] else 'MISS'})"
            ax.annotate(text, (f["value"], i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
        lo, hi = min(values + [1]), max(values + [1])
        ax.set_xlim(lo / 2, hi * 8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}x"))
        ax.set_xlabel("ratio (times, log scale; green: target met, red: missed, blue: no target)")
        ax.set_title(title)
        out.append((title, png(fig)))
    return out


def pattern_rates(rows):
    group = [r for r in rows if r.get("metric") == "pattern" and r.get("median")]
    if not group:
        return []
    fig, ax = plt.subplots(figsize=(12, 0.36 * len(group) + 1.6))
    values = [r["median"]["msgs_per_s"] for r in group]
    ax.barh(range(len(group)), values, color=[COLORS[who(r)] for r in group])
    ax.set_yticks(range(len(group)))
    ax.set_yticklabels([r["label"] for r in group])
    ax.invert_yaxis()
    ax.set_xscale("log")
    for i, v in enumerate(values):
        ax.annotate(rate_text(v), (v, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_xlim(min(values) / 2, max(values) * 6)
    ax.set_xlabel("delivered messages per second, or requests per second (log scale)")
    ax.set_title("Socket patterns (blue: shoal, red: libzmq)")
    return [("Socket patterns", png(fig))]


def cell(v, fmt="{:.0f}"):
    return "-" if v is None else fmt.format(v)


def rows_table(rows):
    out = ["<table><tr><th>measurement</th><th>p50 ns</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th>"
           "<th>msg/s</th><th>MB/s</th><th>key</th></tr>"]
    section = None
    for r in rows:
        if r.get("section") != section:
            section = r.get("section")
            out.append(f"<tr class='section'><td colspan='9'>{html.escape(str(section))}</td></tr>")
        m = r.get("median")
        if not m:
            why = r.get("na") or r.get("error") or "failed"
            vals = f"<td colspan='7'>n/a: {html.escape(why)}</td>"
        elif r.get("metric") == "rtt":
            vals = "".join(f"<td>{cell(m.get(k))}</td>" for k in ("p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"))
            vals += "<td>-</td><td>-</td>"
        else:
            mb = m.get("mb_per_s")
            if mb is None and r.get("metric") == "pattern" and r.get("unit") != "requests/s":
                mb = m["msgs_per_s"] * r.get("size", 0) / 1e6
            rate = "-" if r.get("impl") == "memcpy" else rate_text(m["msgs_per_s"])
            vals = "<td>-</td>" * 5 + f"<td>{rate}</td><td>{cell(mb, '{:.1f}')}</td>"
        out.append(f"<tr><td class='label'>{html.escape(r['label'])}</td>{vals}"
                   f"<td class='key'>{html.escape(r.get('key', ''))}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def findings_table(findings):
    out = ["<table><tr><th>finding</th><th>value</th><th>target</th><th>verdict</th></tr>"]
    for f in findings:
        v = f.get("value")
        vtext = "n/a" if v is None else (f"{v / 1e6:.2f} M" if v > 1e4 else f"{v:.3g}")
        target = f"{f['target_op']} {f['target']:g}" if "target" in f else "-"
        verdict = "-" if "pass" not in f else ("PASS" if f["pass"] else "MISS")
        out.append(f"<tr><td class='label'>{html.escape(f['name'])}</td><td>{vtext}</td><td>{target}</td>"
                   f"<td>{verdict}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def machine_block(doc):
    m = doc.get("machine", {})
    p = doc.get("placement", {})
    items = [("CPU", m.get("cpu_model")), ("packages / NUMA nodes / cores / PUs",
                                          f"{m.get('packages')} / {m.get('numa_nodes')} / {m.get('cores')} / "
                                          f"{m.get('pus')}"),
             ("kernel", m.get("kernel")), ("clock", f"{m.get('clock')} {m.get('clock_ghz', 0):.3f} GHz, "
                                                   f"{m.get('clock_overhead_ns', 0):.0f} ns per sample"),
             ("libzmq", m.get("libzmq") or "not linked"),
             ("placement", f"cpus {','.join(str(c) for c in p.get('cpus', doc.get('cpus', [])))}: "
                           f"{p.get('threads', '')}"),
             ("run", f"shoal-bench --{doc.get('mode')}, {doc.get('rounds')} round(s), shoal wait "
                     f"{doc.get('wait')}, {doc.get('seconds', 0):.0f} s, started {doc.get('date')}")]
    st = doc.get("steal")
    if st:
        text = f"{100 * st['overall']:.1f}% of all runs"
        if st["runs"]:
            text += (f"; runs of 0.25 s and more: median {100 * st['median']:.1f}%, worst {100 * st['max']:.1f}% "
                     f"({st['worst']})")
        if st["overall"] > 0.05:
            text += " (above 5%, the figures are the neighbours' as much as this machine's)"
        items.append(("host steal", text))
    return "<table class='machine'>" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in items) + "</table>"


CSS = """
body { font-family: sans-serif; margin: 24px; max-width: 1350px; color: #222; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ccc; }
img { max-width: 100%; display: block; margin: 12px 0 24px 0; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
td.label, td.key, table.machine td, table.machine th { text-align: left; }
td.key { color: #777; font-family: monospace; }
tr.section td { background: #eef; text-align: left; font-weight: bold; }
p.note { color: #555; max-width: 1100px; }
"""


def python_section(pdoc):
    """The Python bindings' run (bench/python/bench_python.py): RTT bars, its rows and its targets."""
    rows = pdoc.get("rows", [])
    parts = [f"<h2>Python bindings (bench/python/bench_python.py)</h2><p class='note'>"
             f"{html.escape(str(pdoc.get('when')))}, Python {html.escape(str(pdoc.get('machine', {}).get('python')))}"
             f", pyzmq {html.escape(str(pdoc.get('machine', {}).get('pyzmq')))}, {pdoc.get('size')} B messages, "
             f"{pdoc.get('rounds')} rounds interleaved; medians of rounds.</p>"]
    rtt = [r for r in rows if "p50_ns" in r]
    if rtt:
        fig, ax = plt.subplots(figsize=(12, 0.5 * len(rtt) + 1.6))
        ax.barh(range(len(rtt)), [r["p50_ns"] / 1000 for r in rtt], color="#1f77b4")
        ax.set_yticks(range(len(rtt)))
        ax.set_yticklabels([r["label"] for r in rtt])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("round trip p50 (us, log scale)")
        ax.set_title("Python: round trip p50, shoal from Python and C++ vs pyzmq")
        for i, r in enumerate(rtt):
            ax.annotate(ns_text(round3(r["p50_ns"])), (r["p50_ns"] / 1000, i), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=9)
        parts.append(f"<img alt='Python round trips' src='{png(fig)}'>")
    table = ["<table><tr><th>measurement</th><th>p50 ns</th><th>p90 ns</th><th>p99 ns</th><th>msg/s</th>"
             "<th>CPU ns/msg</th></tr>"]
    for r in rows:
        if "p50_ns" in r:
            table.append(f"<tr><td class='label'>{html.escape(r['label'])}</td><td>{r['p50_ns']:.0f}</td>"
                         f"<td>{r['p90_ns']:.0f}</td><td>{r['p99_ns']:.0f}</td><td>-</td><td>-</td></tr>")
        else:
            table.append(f"<tr><td class='label'>{html.escape(r['label'])}</td><td>-</td><td>-</td><td>-</td>"
                         f"<td>{rate_text(r['msgs_per_s'])}</td><td>{r.get('cpu_ns_per_msg', 0):.0f}</td></tr>")
    table.append("</table>")
    parts.append("\n".join(table))
    targets = ["<table><tr><th>target</th><th>value</th><th>wanted</th><th>verdict</th></tr>"]
    for t in pdoc.get("targets", []):
        v = t["value"]
        vtext = f"{v:.0f} ns" if "C++" in t["name"] and "-" in t["name"] else f"{v:.2f}x"
        targets.append(f"<tr><td class='label'>{html.escape(t['name'])}</td><td>{vtext}</td>"
                       f"<td>{html.escape(t['target'])}</td><td>{'PASS' if t['pass'] else 'MISS'}</td></tr>")
    targets.append("</table>")
    parts.append("\n".join(targets))
    return parts


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: make_report.py <results.json> <report.html> [<python.json>]", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    rows = doc.get("results", [])
    findings = doc.get("findings", [])
    plots = latency_cdfs(rows) + throughput_by_size(rows) + ratio_bars(findings) + pattern_rates(rows)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>shoal-bench report</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>shoal-bench report</h1><p class='note'>{html.escape(str(doc.get('date')))} — every figure is the "
             "median across rounds; every ratio is the median of per-round ratios (both sides measured in the same "
             "round). RTT: one round trip, send to reply received, ns. MB = 10^6 bytes.</p>",
             "<h2>Machine</h2>", machine_block(doc)]
    for title, uri in plots:
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='{uri}'>")
    if len(sys.argv) == 4:
        with open(sys.argv[3]) as f:
            parts += python_section(json.load(f))
    parts += ["<h2>All measurements</h2>", rows_table(rows), "<h2>Findings</h2>", findings_table(findings),
              "</body></html>"]
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(parts))
    print(f"wrote {sys.argv[2]} ({len(plots)} plots)", file=sys.stderr)
    return 0


sys.exit(main())

"""Table and JSON assembly for `scripts/bench` (issue 11): pure functions, no I/O, no processes.

A row is one figure: ours and the peer's as order statistics over the runs, the ratio peer / ours
(computed per run when both were measured in the same run, so that load from other tenants cancels),
a target and the verdict. Every figure here is "lower is better" unless the row says otherwise
(`better: "higher"`), so a ratio above 1 means ours is better. Field names: docs/performance.md.
"""
import statistics

SCHEMA = "verdant-bench/1"


def stats(values):
    """Median, min, max and n of the numbers in `values` (None entries skipped); None when none are left."""
    vs = [float(v) for v in values if v is not None]
    if not vs:
        return None
    return {"median": statistics.median(vs), "min": min(vs), "max": max(vs), "n": len(vs)}


def paired_ratios(ours, peer):
    """Per-run ratios peer / ours for runs where both were measured and ours is positive."""
    return [p / o for o, p in zip(ours, peer) if o is not None and p is not None and o > 0]


def verdict(target, ours, ratio):
    """Pass (True), fail (False) or not judged (None) for a target on the medians.

    target: None, or {"on": "ours"|"ratio", "op": "<="|">=", "value": x}.
    """
    if target is None:
        return None
    s = ours if target["on"] == "ours" else ratio
    if s is None:
        return None
    m = s["median"]
    if target["op"] == "<=":
        return m <= target["value"]
    if target["op"] == ">=":
        return m >= target["value"]
    raise ValueError(f"unknown target operator {target['op']!r}")


def target_text(target):
    if target is None:
        return "(none)"
    subject = "ours" if target["on"] == "ours" else "peer/ours"
    return f"{subject} {target['op']} {target['value']:g}" + (f" {target['unit']}" if target.get("unit") else "")


def row(id, figure, unit, ours, peer=None, peer_name=None, target=None, digits=2, note=None,
        paired=True, better="lower"):
    """A row from raw per-run values. ours, peer: lists (one value per run; peer None when absent).

    The ratio is paired per run when `paired` (same run, same input); otherwise medians are divided.
    """
    o = stats(ours)
    p = stats(peer) if peer is not None else None
    r = None
    if o is not None and p is not None:
        if paired and len(ours) == len(peer):
            r = stats(paired_ratios(ours, peer))
        elif o["median"] > 0:
            r = stats([p["median"] / o["median"]])
    return {"id": id, "figure": figure, "unit": unit, "ours": o, "peer_name": peer_name if p is not None else None,
            "peer": p, "ratio": r, "better": better, "target": target, "target_text": target_text(target),
            "pass": verdict(target, o, r), "digits": digits, "note": note}


def row_from_stats(id, figure, unit, ours, peer, ratio, peer_name, target, digits=2, note=None, better="lower"):
    """A row from ready-made stats dicts (e.g. scripts/bench-sampling's summary)."""
    return {"id": id, "figure": figure, "unit": unit, "ours": ours, "peer_name": peer_name if peer else None,
            "peer": peer, "ratio": ratio, "better": better, "target": target, "target_text": target_text(target),
            "pass": verdict(target, ours, ratio), "digits": digits, "note": note}


def fmt(s, digits):
    """'median [min-max]' (or the bare median when n = 1); 'n/a' for None."""
    if s is None:
        return "n/a"
    if s["n"] == 1 or s["min"] == s["max"]:
        return f"{s['median']:.{digits}f}"
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f}-{s['max']:.{digits}f}]"


def verdict_text(v):
    return "n/a" if v is None else ("pass" if v else "FAIL")


HEADERS = ["figure", "ours", "peer", "ratio peer/ours", "target", "pass/fail"]


def table_cells(rows):
    out = []
    for r in rows:
        d = r["digits"]
        peer = fmt(r["peer"], d) + (f" ({r['peer_name']})" if r["peer"] is not None and r["peer_name"] else "")
        out.append([f"{r['figure']} ({r['unit']})" if r["unit"] else r["figure"], fmt(r["ours"], d), peer,
                    fmt(r["ratio"], 2), r["target_text"], verdict_text(r["pass"])])
    return out


def render_table(rows):
    """The Markdown table every `scripts/bench` run prints (and docs/performance.md keeps)."""
    cells = table_cells(rows)
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(HEADERS)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(HEADERS, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for c in cells:
        lines.append("| " + " | ".join(x.ljust(w) for x, w in zip(c, widths)) + " |")
    return "\n".join(lines)


def document(rows, machine, settings, peers, sections, elapsed_s, generated_at):
    """The JSON document (schema verdant-bench/1; fields in docs/performance.md)."""
    return {"schema": SCHEMA, "generated_at": generated_at, "machine": machine, "settings": settings, "peers": peers,
            "ratio_definition": "peer / ours, per run where both ran in the same run; > 1: ours is better for a 'lower' figure",
            "rows": [{k: v for k, v in r.items() if k != "digits"} for r in rows],
            "summary": {"pass": sum(1 for r in rows if r["pass"] is True),
                        "fail": sum(1 for r in rows if r["pass"] is False),
                        "not_judged": sum(1 for r in rows if r["pass"] is None)},
            "sections": sections, "elapsed_s": elapsed_s}

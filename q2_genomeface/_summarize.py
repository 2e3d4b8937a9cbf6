"""``qiime genomeface summarize``: the page a user opens first after binning.

One self-contained ``index.html`` (inline SVG and CSS, no scripts, nothing
fetched): per sample a completeness-vs-contamination plot (marker-gene
estimates; point area ~ MAG size, colour ~ GC) and, when the table has
``mean_depth`` (``evaluate`` given alignment maps), a GC-vs-depth plot (area ~
size), then the quality table of every MAG.  ``quality.tsv`` is written next to
it for download.
"""

import html
import math
import os

import qiime2

from ._types import MultiMAGSequencesDirFmt

_NEEDED = ("sample_id", "size_bp", "n50_bp", "gc", "completeness", "contamination")  # mean_depth: optional
W, H, PAD, RIGHT = 420, 300, 46, 24  # plot size, left/bottom and right margins (px)


def tier(completeness: float, contamination: float) -> str:
    """Marker-gene quality class, the thresholds ``genomeface bin`` reports at the end of a run.

    >>> tier(95, 2), tier(60, 8), tier(60, 20)
    ('>= 90% / <= 5%', '>= 50% / <= 10%', 'other')
    """
    if completeness >= 90 and contamination <= 5:
        return ">= 90% / <= 5%"
    if completeness >= 50 and contamination <= 10:
        return ">= 50% / <= 10%"
    return "other"


def _colour(gc: float, lo: float, hi: float) -> str:
    """Blue (low GC) -> orange (high GC), linear in ``gc`` over [lo, hi]."""
    t = 0.5 if hi <= lo else min(1.0, max(0.0, (gc - lo) / (hi - lo)))
    a, b = (49, 104, 199), (230, 120, 20)
    return "#%02x%02x%02x" % tuple(round(x + t * (y - x)) for x, y in zip(a, b))


def _axes(x_label: str, y_label: str, xticks, yticks, sx, sy) -> list[str]:
    out = [f'<rect x="{PAD}" y="8" width="{W - PAD - RIGHT}" height="{H - PAD - 8}" class="frame"/>']
    for v in xticks:
        x = sx(v)
        out.append(f'<line x1="{x:.1f}" y1="{H - PAD}" x2="{x:.1f}" y2="{H - PAD + 4}" class="tick"/>'
                   f'<text x="{x:.1f}" y="{H - PAD + 16}" class="tl" text-anchor="middle">{v:g}</text>')
    for v in yticks:
        y = sy(v)
        out.append(f'<line x1="{PAD - 4}" y1="{y:.1f}" x2="{PAD}" y2="{y:.1f}" class="tick"/>'
                   f'<text x="{PAD - 6}" y="{y + 4:.1f}" class="tl" text-anchor="end">{v:g}</text>')
    out.append(f'<text x="{(W + PAD) / 2:.0f}" y="{H - 8}" class="al" text-anchor="middle">{x_label}</text>'
               f'<text transform="translate(12 {(H - PAD) / 2:.0f}) rotate(-90)" class="al" '
               f'text-anchor="middle">{y_label}</text>')
    return out


def _radius(size_bp: float, biggest: float) -> float:
    return 3.0 + 9.0 * math.sqrt(size_bp / biggest) if biggest > 0 else 4.0


def _tooltip(mid: str, r: dict) -> str:
    depth = f", depth {r['mean_depth']:.2f}" if "mean_depth" in r else ""
    return html.escape(f"{mid}: {r['completeness']:g}% complete, {r['contamination']:g}% "
                       f"contamination, {r['size_bp'] / 1e6:.2f} Mbp, GC {r['gc']:.3f}{depth}")


def quality_plot(rows: dict[str, dict], biggest: float, gc_range: tuple[float, float]) -> str:
    """SVG: completeness (y, %) vs contamination (x, %), with the two quality thresholds dashed."""
    xmax = max([12.0] + [r["contamination"] * 1.1 for r in rows.values()])  # room for the 10% corner label
    sx = lambda v: PAD + (W - PAD - RIGHT) * v / xmax  # noqa: E731
    sy = lambda v: H - PAD - (H - PAD - 8) * v / 100.0  # noqa: E731
    step = 5 if xmax <= 30 else 20
    parts = _axes("contamination (%)", "completeness (%)", range(0, int(xmax) + 1, step), range(0, 101, 20), sx, sy)
    for c, k in ((90, 5), (50, 10)):
        parts.append(f'<polyline points="{sx(k):.1f},{sy(100):.1f} {sx(k):.1f},{sy(c):.1f} {sx(0):.1f},{sy(c):.1f}" '
                     f'class="thr"/><text x="{sx(k) + 3:.1f}" y="{sy(c) + 12:.1f}" class="tl">{c}% / {k}%</text>')
    for mid, r in sorted(rows.items(), key=lambda kv: -kv[1]["size_bp"]):  # small points drawn on top
        parts.append(f'<circle cx="{sx(r["contamination"]):.1f}" cy="{sy(r["completeness"]):.1f}" '
                     f'r="{_radius(r["size_bp"], biggest):.1f}" fill="{_colour(r["gc"], *gc_range)}" class="pt">'
                     f'<title>{_tooltip(mid, r)}</title></circle>')
    return f'<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img">{"".join(parts)}</svg>'


def depth_plot(rows: dict[str, dict], biggest: float, gc_range: tuple[float, float]) -> str:
    """SVG: mean depth (y, log scale) vs GC fraction (x); point area ~ MAG size."""
    lo, hi = gc_range
    lo, hi = (lo - 0.05, hi + 0.05)
    depths = [max(r["mean_depth"], 1e-3) for r in rows.values()]
    dmin, dmax = math.floor(math.log10(min(depths))), math.ceil(math.log10(max(depths)) + 1e-9)
    if dmax <= dmin:
        dmax = dmin + 1
    sx = lambda v: PAD + (W - PAD - RIGHT) * (v - lo) / (hi - lo)  # noqa: E731
    sy = lambda v: H - PAD - (H - PAD - 8) * (math.log10(max(v, 1e-3)) - dmin) / (dmax - dmin)  # noqa: E731
    xt = [round(lo + i * (hi - lo) / 4, 2) for i in range(5)]
    parts = _axes("GC fraction", "mean depth (x, log)", xt, [10.0 ** e for e in range(dmin, dmax + 1)], sx, sy)
    for mid, r in sorted(rows.items(), key=lambda kv: -kv[1]["size_bp"]):
        parts.append(f'<circle cx="{sx(r["gc"]):.1f}" cy="{sy(r["mean_depth"]):.1f}" '
                     f'r="{_radius(r["size_bp"], biggest):.1f}" fill="{_colour(r["gc"], *gc_range)}" class="pt">'
                     f'<title>{_tooltip(mid, r)}</title></circle>')
    return f'<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img">{"".join(parts)}</svg>'


_CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 6px} p{margin:4px 0 10px}
.plots{display:flex;flex-wrap:wrap;gap:18px}
.frame{fill:#fafafa;stroke:#999} .tick{stroke:#666} .tl{font-size:11px;fill:#444} .al{font-size:12px;fill:#222}
.thr{fill:none;stroke:#2a9d4b;stroke-dasharray:4 3} .pt{stroke:#222;stroke-width:.7;fill-opacity:.85}
table{border-collapse:collapse;font-size:12px;margin-top:8px} th,td{border:1px solid #ccc;padding:3px 7px}
th{background:#eee;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.t0 td:first-child{border-left:5px solid #2a9d4b} tr.t1 td:first-child{border-left:5px solid #e9b824}
.legend{font-size:12px;color:#555}
"""

_COLS = (("sample_id", "sample", None), ("id", "MAG id", None), ("contigs", "contigs", "{:d}"),
         ("size_bp", "size (bp)", "{:,.0f}"), ("n50_bp", "N50 (bp)", "{:,.0f}"), ("gc", "GC", "{:.3f}"),
         ("mean_depth", "depth (x)", "{:.2f}"), ("completeness", "completeness (%)", "{:.1f}"),
         ("contamination", "contamination (%)", "{:.1f}"))


def _table(rows: dict[str, dict]) -> str:
    cols = [c for c in _COLS if any(c[0] == "id" or c[0] in r for r in rows.values())]  # mean_depth may be absent
    head = "".join(f"<th>{t}</th>" for _, t, _ in cols) + "<th>quality</th>"
    body = []
    order = sorted(rows.items(), key=lambda kv: (kv[1]["sample_id"], -kv[1]["completeness"], kv[1]["contamination"]))
    for mid, r in order:
        t = tier(r["completeness"], r["contamination"])
        cells = []
        for key, _, fmt in cols:
            v = mid if key == "id" else r.get(key, "")
            if fmt and isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v)):
                cells.append(f'<td class="n">{fmt.format(int(v) if fmt == "{:d}" else v)}</td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        cls = {">= 90% / <= 5%": "t0", ">= 50% / <= 10%": "t1"}.get(t, "")
        body.append(f'<tr class="{cls}">{"".join(cells)}<td>{html.escape(t)}</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(rows: dict[str, dict]) -> str:
    """The whole page for MAG id -> quality row (needs the columns in ``_NEEDED``; the depth plots
    need ``mean_depth``)."""
    samples = sorted({r["sample_id"] for r in rows.values()})
    biggest = max(r["size_bp"] for r in rows.values())
    gcs = [r["gc"] for r in rows.values()]
    gc_range = (min(gcs), max(gcs))
    tiers = [tier(r["completeness"], r["contamination"]) for r in rows.values()]
    with_depth = all("mean_depth" in r for r in rows.values())
    summary = (f"{len(rows)} MAG(s) in {len(samples)} sample(s): {tiers.count('>= 90% / <= 5%')} with >= 90% "
               f"completeness and <= 5% contamination, {tiers.count('>= 50% / <= 10%')} more with >= 50% / "
               f"<= 10% (estimates from 40 universal single-copy marker genes).")
    sections = []
    for s in samples:
        sub = {m: r for m, r in rows.items() if r["sample_id"] == s}
        mbp = sum(r["size_bp"] for r in sub.values()) / 1e6
        sections.append(f"<h2>Sample {html.escape(str(s))}</h2><p>{len(sub)} MAG(s), {mbp:.2f} Mbp binned.</p>"
                        f'<div class="plots">{quality_plot(sub, biggest, gc_range)}'
                        f"{depth_plot(sub, biggest, gc_range) if with_depth else ''}</div>")
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>GenomeFace MAGs</title>"
            f"<style>{_CSS}</style></head><body><h1>GenomeFace MAGs</h1><p>{html.escape(summary)}</p>"
            f'<p class="legend">Point area ~ MAG size; colour: GC fraction, blue {gc_range[0]:.2f} to orange '
            f"{gc_range[1]:.2f}; dashed: the 90%/5% and 50%/10% quality corners. Hover a point for its MAG.</p>"
            f"{''.join(sections)}<h2>All MAGs</h2>"
            '<p><a href="quality.tsv">quality.tsv</a> (the same table, QIIME 2 metadata)</p>'
            f"{_table(rows)}</body></html>")


def summarize(output_dir: str, mags: MultiMAGSequencesDirFmt, quality: qiime2.Metadata) -> None:
    """Write index.html and quality.tsv for ``mags`` and their ``quality`` metadata."""
    from genomeface_core.errors import InputError
    df = quality.to_dataframe()
    missing = [c for c in _NEEDED if c not in df.columns]
    if missing:
        raise InputError("quality", f"lacks column(s) {', '.join(missing)} (expected the quality output of "
                                    "'qiime genomeface evaluate')")
    have = {m for per in mags.sample_dict().values() for m in per}
    if set(df.index) != have:
        extra, lost = sorted(set(df.index) - have), sorted(have - set(df.index))
        raise InputError("quality", f"does not describe these MAGs: {len(extra)} id(s) not in mags "
                                    f"{extra[:3]}, {len(lost)} MAG(s) without a row {lost[:3]}")
    rows = {mid: r for mid, r in df.to_dict(orient="index").items()}
    with open(os.path.join(output_dir, "index.html"), "w", encoding="utf-8") as fh:
        fh.write(render(rows))
    quality.save(os.path.join(output_dir, "quality.tsv"))

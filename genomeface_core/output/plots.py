"""The figures of ``report.html``: inline SVG drawn with NumPy only (no plotting library).

One function per figure, each an ``<svg>`` string sized in pixels:

* :func:`quality_figure`: completeness vs contamination per bin, with the MIMAG
  tiers (>= 90% / <= 5% high quality, >= 50% / <= 10% medium) as lines and
  shaded regions;
* :func:`size_gc_figure`: bin size vs GC, coloured by mean depth;
* :func:`projection_figure`: the 2-D projection of the contig embeddings
  (:func:`genomeface_core.graph.layout.projection`), coloured by bin, unbinned
  contigs grey;
* :func:`stages_figure`: seconds (and MiB of memory, when given) per stage.

Every point carries an SVG ``<title>`` (shown on hover).  The classes the
figures use are styled in :mod:`genomeface_core.output.style`; the page around
them is :mod:`genomeface_core.output.report`.
"""
from __future__ import annotations

import html
import math

import numpy as np

from genomeface_core.cut.bins import UNBINNED

#: pipeline order of the stages in run.json's timings (JSON sorts them by name); others follow
STAGE_ORDER = ["read", "depths", "features", "embed", "abundance", "markers", "knn", "mst", "dendrogram",
               "select", "rescue", "projection", "write"]
_GREY = "#c4c4c4"
# Tableau-20-like palette, strong colours first; bins beyond it get golden-angle hues
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#393b79", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
            "#f7b6d2", "#9edae5", "#dbdb8d", "#637939"]
_VIRIDIS = ["#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
            "#b5de2b", "#fde725"]

# ----------------------------------------------------------------------------- colours and ticks

def bin_colours(bins: list[str]) -> dict[str, str]:
    """A colour per bin, in the given order (palette, then golden-angle hues); unbinned grey.

    >>> bin_colours(["bin1", "bin2"])
    {'bin1': '#1f77b4', 'bin2': '#ff7f0e', 'unbinned': '#c4c4c4'}
    """
    out = {}
    for i, b in enumerate(bins):
        out[b] = _PALETTE[i] if i < len(_PALETTE) else f"hsl({(i * 137.508) % 360:.0f},62%,42%)"
    out[UNBINNED] = _GREY
    return out


def _viridis(t: float) -> str:
    """Colour of t in [0, 1] on the viridis map (linear between 10 anchors)."""
    t = min(max(t, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(t), len(_VIRIDIS) - 2)
    a, b = (np.array([int(c[k:k + 2], 16) for k in (1, 3, 5)]) for c in _VIRIDIS[i:i + 2])
    r, g, bl = np.rint(a + (b - a) * (t - i)).astype(int)
    return f"#{r:02x}{g:02x}{bl:02x}"


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k).

    >>> nice_ticks(0, 100)
    [0, 20, 40, 60, 80, 100]
    """
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks for a log axis over [lo > 0, hi]: 1-2-5 per decade, or round linear steps within one decade.

    >>> log_ticks(0.3, 12)
    [0.5, 1.0, 2.0, 5.0, 10.0]
    >>> log_ticks(1.0, 4.5)
    [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]
    """
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        out += [m * 10.0 ** e for m in (1, 2, 5) if lo <= m * 10.0 ** e <= hi]
    if len(out) < 3:
        out = [float(t) for t in nice_ticks(lo, hi, 8) if t > 0]
    return out


def _num(v: float) -> str:
    """A tick label: 4 significant digits."""
    return f"{v:.4g}"


# ----------------------------------------------------------------------------- figures

class _Plot:
    """A scatter/bar panel: data -> pixel maps, axes, ticks and labels as SVG strings."""

    def __init__(self, xlim, ylim, *, width=600, height=420, xlog=False, ylog=False, margin=(20, 20, 56, 64)):
        self.w, self.h = width, height
        self.top, self.right, self.bottom, self.left = margin
        self.xlim, self.ylim, self.xlog, self.ylog = xlim, ylim, xlog, ylog
        self.parts: list[str] = []

    def _t(self, v, lim, log):
        v = np.asarray(v, dtype=np.float64)
        if log:
            v, lim = np.log10(v), (math.log10(lim[0]), math.log10(lim[1]))
        return (v - lim[0]) / ((lim[1] - lim[0]) or 1.0)

    def x(self, v):
        return self.left + self._t(v, self.xlim, self.xlog) * (self.w - self.left - self.right)

    def y(self, v):
        return self.h - self.bottom - self._t(v, self.ylim, self.ylog) * (self.h - self.top - self.bottom)

    def axes(self, xlabel: str, ylabel: str, xticks, yticks, fmt=_num) -> None:
        x0, x1, y0, y1 = self.left, self.w - self.right, self.h - self.bottom, self.top
        p = self.parts
        for t in xticks:
            px = float(self.x(t))
            p.append(f'<line class="grid" x1="{px:.1f}" x2="{px:.1f}" y1="{y0}" y2="{y1}"/>'
                     f'<text class="tick" x="{px:.1f}" y="{y0 + 16}" text-anchor="middle">{fmt(t)}</text>')
        for t in yticks:
            py = float(self.y(t))
            p.append(f'<line class="grid" x1="{x0}" x2="{x1}" y1="{py:.1f}" y2="{py:.1f}"/>'
                     f'<text class="tick" x="{x0 - 6}" y="{py + 4:.1f}" text-anchor="end">{fmt(t)}</text>')
        p.append(f'<rect class="frame" x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}"/>')
        p.append(f'<text class="label" x="{(x0 + x1) / 2:.1f}" y="{self.h - 14}" text-anchor="middle">'
                 f'{html.escape(xlabel)}</text>')
        p.append(f'<text class="label" transform="translate(16,{(y0 + y1) / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{html.escape(ylabel)}</text>')

    def svg(self, fig_id: str, title: str) -> str:
        return (f'<svg id="{fig_id}" class="fig" viewBox="0 0 {self.w} {self.h}" width="{self.w}" '
                f'height="{self.h}" xmlns="http://www.w3.org/2000/svg" role="img">'
                f'<title>{html.escape(title)}</title>{"".join(self.parts)}</svg>')


def quality_figure(bins: list[dict], colours: dict[str, str]) -> str:
    """Completeness vs contamination (%) per bin, circle area ~ size, over the shaded MIMAG tiers."""
    ymax = max([15.0] + [1.1 * b["contamination"] for b in bins])
    p = _Plot((0, 103), (0, ymax))  # room for the circles of complete bins
    x, y = p.x, p.y
    # tier regions first, under everything (medium, then high on top of it)
    for (c, k, cls) in ((50, 10, "tier-medium"), (90, 5, "tier-high")):
        p.parts.append(f'<rect class="{cls}" x="{float(x(c)):.1f}" y="{float(y(k)):.1f}" '
                       f'width="{float(x(100) - x(c)):.1f}" height="{float(y(0) - y(k)):.1f}"/>')
    p.axes("completeness (%, 40 single-copy markers)", "contamination (%)", nice_ticks(0, 100, 11),
           nice_ticks(0, ymax))
    for c in (50, 90):
        p.parts.append(f'<line class="tier" x1="{float(x(c)):.1f}" x2="{float(x(c)):.1f}" '
                       f'y1="{float(y(0)):.1f}" y2="{float(y(ymax)):.1f}"/>')
    for k in (5, 10):
        p.parts.append(f'<line class="tier" x1="{float(x(0)):.1f}" x2="{float(x(100)):.1f}" '
                       f'y1="{float(y(k)):.1f}" y2="{float(y(k)):.1f}"/>')
    big = max([b["size_bp"] for b in bins] + [1])
    scale = 9 if len(bins) <= 50 else 5  # hundreds of bins share 41 x 41 marker-count positions
    for b in sorted(bins, key=lambda b: -b["size_bp"]):  # small bins drawn last, on top
        r = 2.5 + scale * math.sqrt(b["size_bp"] / big)
        p.parts.append(
            f'<circle class="bin" data-bin="{html.escape(b["bin"])}" cx="{float(x(b["completeness"])):.1f}" '
            f'cy="{float(y(b["contamination"])):.1f}" r="{r:.1f}" fill="{colours[b["bin"]]}">'
            f'<title>{_tooltip(b)}</title></circle>')
    # tier names over the circles (haloed, so they stay legible)
    p.parts.append(f'<text class="note" x="{float(x(99)):.1f}" y="{float(y(5)) - 4:.1f}" text-anchor="end">'
                   f'high quality</text><text class="note" x="{float(x(89)):.1f}" y="{float(y(10)) - 4:.1f}" '
                   f'text-anchor="end">medium quality</text>')
    return p.svg("fig-quality", "completeness vs contamination per bin")


def _tooltip(b: dict) -> str:
    """A bin's hover text: size (Mbp), contigs, N50 (kb), GC (%), depth and quality (%), HTML-escaped."""
    return html.escape(f'{b["bin"]}: {b["size_bp"] / 1e6:.2f} Mbp in {b["contigs"]} contigs, '
                       f'N50 {b["n50_bp"] / 1e3:.1f} kb, GC {100 * b["gc"]:.1f}%, depth {b["mean_depth"]:.3g}, '
                       f'completeness {b["completeness"]:.1f}%, contamination {b["contamination"]:.1f}%')


def size_gc_figure(bins: list[dict]) -> str:
    """Bin size (Mbp, log axis) vs GC (%), coloured by mean depth (viridis over log depth, with a colour bar)."""
    size = np.array([b["size_bp"] for b in bins], dtype=float) / 1e6
    gc = np.array([100 * b["gc"] for b in bins])
    depth = np.array([b["mean_depth"] for b in bins])
    lo, hi = (size.min() / 1.3, size.max() * 1.3) if len(size) else (0.1, 10)
    glo, ghi = (math.floor(gc.min() / 5) * 5 - 2, math.ceil(gc.max() / 5) * 5 + 2) if len(gc) else (20, 80)
    p = _Plot((lo, hi), (glo, ghi), xlog=True, margin=(20, 96, 56, 64))
    p.axes("bin size (Mbp, log scale)", "GC (%)", log_ticks(lo, hi), nice_ticks(glo, ghi))
    has_depth = bool(len(depth)) and float(depth.max()) > 0
    ld = np.log10(np.maximum(depth, 1e-3)) if has_depth else np.zeros(len(bins))
    dlo, dhi = (float(ld.min()), float(ld.max())) if len(ld) else (0.0, 1.0)
    for b, sx, sy, v in sorted(zip(bins, size, gc, ld), key=lambda t: t[0]["size_bp"], reverse=True):
        fill = _viridis((v - dlo) / ((dhi - dlo) or 1.0)) if has_depth else "#4c72b0"
        p.parts.append(f'<circle class="bin" data-bin="{html.escape(b["bin"])}" cx="{float(p.x(sx)):.1f}" '
                       f'cy="{float(p.y(sy)):.1f}" r="6" fill="{fill}"><title>{_tooltip(b)}</title></circle>')
    if has_depth:  # colour bar
        bx, by, bh = p.w - p.right + 22, p.top + 10, 200
        stops = "".join(f'<stop offset="{i / (len(_VIRIDIS) - 1):.3f}" stop-color="{c}"/>'
                        for i, c in enumerate(_VIRIDIS))
        p.parts.append(f'<defs><linearGradient id="viridis" x1="0" y1="1" x2="0" y2="0">{stops}'
                       f'</linearGradient></defs><rect x="{bx}" y="{by}" width="14" height="{bh}" '
                       f'fill="url(#viridis)"/><text class="tick" x="{bx - 6}" y="{by - 14}">mean depth</text>')
        for t in (dlo, (dlo + dhi) / 2, dhi):
            ty = by + bh - (t - dlo) / ((dhi - dlo) or 1.0) * bh
            p.parts.append(f'<text class="tick" x="{bx + 18}" y="{ty + 4:.1f}">{10 ** t:.3g}</text>')
    return p.svg("fig-size-gc", "bin size vs GC, coloured by mean depth")


def projection_figure(names: list[str], xy: np.ndarray, clusters: dict[str, str], order: list[str],
                      colours: dict[str, str], method: str, max_points: int = 20000) -> str:
    """The contigs' 2-D projection coloured by bin (unbinned grey, under the bins), at most ``max_points`` drawn.

    ``method`` "pca" labels the axes with values; a graph layout's axes carry none.
    """
    keep = np.arange(len(names))
    if len(keep) > max_points:  # deterministic sample: the page stays a few MB
        keep = np.sort(np.random.default_rng(0).choice(len(keep), max_points, replace=False))
    lab = np.array([clusters[names[i]] for i in keep], dtype=object)
    pts = xy[keep]
    pad = lambda lo, hi: (lo - 0.04 * (hi - lo or 1), hi + 0.04 * (hi - lo or 1))  # noqa: E731
    xlim = pad(float(pts[:, 0].min()), float(pts[:, 0].max())) if len(pts) else (0, 1)
    ylim = pad(float(pts[:, 1].min()), float(pts[:, 1].max())) if len(pts) else (0, 1)
    p = _Plot(xlim, ylim, width=820, height=620, margin=(20, 180, 56, 64))
    if method == "pca":
        p.axes("PC 1", "PC 2", nice_ticks(*xlim), nice_ticks(*ylim))
    else:  # a graph layout's coordinates carry no units: no tick values
        p.axes("layout 1", "layout 2", [], [])
    groups = [UNBINNED] + order  # unbinned first: the bins are drawn over it
    for g in groups:
        m = lab == g
        if not m.any():
            continue
        px, py = p.x(pts[m, 0]), p.y(pts[m, 1])
        r = 1.8 if g == UNBINNED else 2.4
        dots = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r}"/>' for a, b in zip(px, py))
        p.parts.append(f'<g class="contigs" data-bin="{html.escape(g)}" fill="{colours[g]}" '
                       f'fill-opacity="{0.55 if g == UNBINNED else 0.8}"><title>{html.escape(g)}: '
                       f'{int(m.sum())} contigs</title>{dots}</g>')
    # legend: the largest bins, then unbinned
    lx, ly = p.w - p.right + 16, p.top + 8
    shown = order[:24]
    for i, g in enumerate(shown + [UNBINNED]):
        p.parts.append(f'<circle class="legend" cx="{lx + 5}" cy="{ly + 16 * i}" r="5" fill="{colours[g]}"/>'
                       f'<text class="tick" x="{lx + 16}" y="{ly + 16 * i + 4}">{html.escape(g)}</text>')
    if len(order) > len(shown):
        p.parts.append(f'<text class="tick" x="{lx}" y="{ly + 16 * (len(shown) + 1) + 4}">'
                       f'+{len(order) - len(shown)} more bins</text>')
    return p.svg("fig-projection", "2-D projection of the contig embeddings, coloured by bin")


def _ordered_stages(timings: dict) -> list[str]:
    """The stages of ``timings`` in pipeline order (:data:`STAGE_ORDER`), unknown ones after by name."""
    known = [s for s in STAGE_ORDER if s in timings]
    return known + sorted(s for s in timings if s not in STAGE_ORDER)


def stages_figure(timings: dict, memory: dict | None, reused: list[str] = ()) -> str:
    """Horizontal bars per stage: seconds, and peak RSS (MiB) when ``memory`` is given.

    ``reused``: stages read back from the stage cache (labelled "cached").
    """
    stages = _ordered_stages(timings)
    cols = [("seconds", "time", timings)] + ([("peak RSS at the end of the stage (MiB)", "memory", memory)]
                                              if memory else [])
    row_h, label_w, bar_w, gap, top = 24, 150, 300, 130, 36
    width = label_w + len(cols) * (bar_w + gap)
    height = top + row_h * len(stages) + 16
    parts = []
    for ci, (name, kind, values) in enumerate(cols):
        x0 = label_w + ci * (bar_w + gap)
        vals = [values.get(s) for s in stages]
        known = [float(v) for v in vals if isinstance(v, (int, float))]
        vmax = max(known + [1e-9])
        total = f" (total {sum(known):.1f})" if kind == "time" else ""
        parts.append(f'<text class="label" x="{x0}" y="{top - 14}">{name}{total}</text>')
        for i, (s, v) in enumerate(zip(stages, vals)):
            yy = top + i * row_h
            if not isinstance(v, (int, float)):  # not measured on this platform
                parts.append(f'<text class="tick" x="{x0}" y="{yy + row_h / 2 + 4}">n/a</text>')
                continue
            w = bar_w * float(v) / vmax
            parts.append(f'<rect class="bar {kind}" data-stage="{html.escape(s)}" x="{x0}" y="{yy + 3}" '
                         f'width="{w:.1f}" height="{row_h - 8}"><title>{html.escape(s)}: {v:.4g}</title></rect>'
                         f'<text class="tick" x="{x0 + w + 6:.1f}" y="{yy + row_h / 2 + 4}">{v:.3g}</text>')
    for i, s in enumerate(stages):
        tag = ' <tspan class="cached">(cached)</tspan>' if s in reused else ""
        parts.append(f'<text class="tick" x="{label_w - 8}" y="{top + i * row_h + row_h / 2 + 4}" '
                     f'text-anchor="end">{html.escape(s)}{tag}</text>')
    return (f'<svg id="fig-stages" class="fig" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg" role="img"><title>time and memory per stage</title>'
            f'{"".join(parts)}</svg>')


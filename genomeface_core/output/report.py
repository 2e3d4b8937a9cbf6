"""``report.html``: one self-contained page that shows a binning result.

Read from an output folder of ``genomeface bin`` (``bins.tsv``, ``clusters.tsv``,
``run.json``; ``projection.tsv`` and ``unbinned.fna`` when present) and drawn as
inline SVG with NumPy only: no network, no plotting library, no external CSS or
JavaScript (one inline script sorts the bin table).  Figures:

* completeness vs contamination per bin, with the MIMAG tiers (>= 90% / <= 5%
  high quality, >= 50% / <= 10% medium) as lines and shaded regions;
* bin size vs GC, coloured by mean depth;
* the 2-D projection of the contig embeddings (:func:`projection`), coloured by
  bin, unbinned contigs grey;
* seconds (and MB of memory, when ``run.json`` has ``memory_mb``) per stage;
* a sortable bin table (size, N50, GC, depth, quality) and the run's parameters.

Every point carries an SVG ``<title>`` (shown on hover).  Problems with the
folder's files are :class:`InputError` naming the file; nothing is written then.
"""
from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genomeface_core.errors import InputError
from genomeface_core.cut.bins import UNBINNED
from genomeface_core.output.files import EJECTED, PROJECTION, REPORT, partial_name  # noqa: F401

PathLike = str | os.PathLike

#: bins.tsv columns the report needs (output.BIN_COLUMNS may add more: they are shown as they are)
NEEDED_COLUMNS = ["bin", "contigs", "size_bp", "n50_bp", "gc", "mean_depth", "completeness", "contamination"]
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


def write_projection(path: PathLike, names: list[str], xy: np.ndarray) -> None:
    """Write ``contig<TAB>x<TAB>y`` rows (``projection.tsv``), one per contig with finite coordinates."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape != (len(names), 2):
        raise ValueError(f"xy must be ({len(names)}, 2), got {xy.shape}")
    with open(path, "w") as fh:
        fh.write("contig\tx\ty\n")
        for name, (a, b) in zip(names, xy):
            if math.isfinite(a) and math.isfinite(b):  # rows left out of a subsampled layout are NaN
                fh.write(f"{name}\t{a:.6g}\t{b:.6g}\n")


def read_projection(path: PathLike) -> tuple[list[str], np.ndarray]:
    """(names, (n, 2) coordinates) from a ``projection.tsv``; InputError naming the file if malformed."""
    names, rows = [], []
    with _open(path) as fh:
        if fh.readline().rstrip("\n").split("\t") != ["contig", "x", "y"]:
            raise InputError(path, "header must be 'contig<TAB>x<TAB>y'")
        for i, line in enumerate(fh, 2):
            f = line.rstrip("\n").split("\t")
            try:
                if len(f) != 3:
                    raise ValueError
                a, b = float(f[1]), float(f[2])
            except ValueError:
                raise InputError(path, f"line {i}: expected contig name and two numbers") from None
            if not (math.isfinite(a) and math.isfinite(b)):
                raise InputError(path, f"line {i}: coordinates must be finite")
            names.append(f[0])
            rows.append((a, b))
    return names, np.array(rows, dtype=np.float64).reshape(-1, 2)


# ----------------------------------------------------------------------------- reading the folder

@dataclass
class _Run:
    """What the report shows, read from an output folder."""

    bins: list[dict]  # bins.tsv rows (numbers parsed), in file order
    clusters: dict[str, str]  # contig -> bin (or UNBINNED)
    info: dict  # run.json
    proj_names: list[str] | None  # projection.tsv, or None when absent
    proj_xy: np.ndarray | None
    unbinned_bp: int | None  # bases in unbinned.fna, or None when absent
    ejected: list[tuple[str, str, str]] | None = None  # depth_ejected.tsv rows (contig, left, now), or None


def _open(path: PathLike, mode: str = "r"):
    try:
        return open(path, mode)
    except FileNotFoundError:
        raise InputError(path, "missing (is this a 'genomeface bin' output folder?)") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


def _read_bins(path: Path) -> list[dict]:
    ints = {"contigs", "size_bp", "n50_bp"}
    with _open(path) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        missing = [c for c in NEEDED_COLUMNS if c not in head]
        if missing:
            raise InputError(path, f"missing column(s) {', '.join(missing)}")
        rows = []
        for i, line in enumerate(fh, 2):
            f = line.rstrip("\n").split("\t")
            if len(f) != len(head):
                raise InputError(path, f"line {i}: {len(f)} fields, header has {len(head)}")
            row = dict(zip(head, f))
            try:
                for c in NEEDED_COLUMNS[1:]:
                    row[c] = int(float(row[c])) if c in ints else float(row[c])
            except ValueError:
                raise InputError(path, f"line {i}: column {c} is not a number: {row[c]!r}") from None
            rows.append(row)
    if len({r["bin"] for r in rows}) != len(rows):
        raise InputError(path, "duplicate bin name")
    return rows


def _read_clusters(path: Path, bins: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    with _open(path) as fh:
        if fh.readline().rstrip("\n").split("\t") != ["bin", "contig"]:
            raise InputError(path, "header must be 'bin<TAB>contig'")
        for i, line in enumerate(fh, 2):
            f = line.rstrip("\n").split("\t")
            if len(f) != 2:
                raise InputError(path, f"line {i}: expected bin<TAB>contig")
            if f[1] in out:
                raise InputError(path, f"line {i}: contig {f[1]!r} listed twice")
            if f[0] != UNBINNED and f[0] not in bins:
                raise InputError(path, f"line {i}: bin {f[0]!r} is not in bins.tsv")
            out[f[1]] = f[0]
    return out


def _fasta_bases(path: Path) -> int | None:
    """Bases in a FASTA file (streamed), or None when it is absent."""
    if not path.exists():
        return None
    n = 0
    with _open(path, "rb") as fh:  # bytes: no decoding of what may be gigabytes of sequence
        for line in fh:
            if not line.startswith(b">"):
                n += len(line.strip())
    return n


def read_run(outdir: PathLike) -> _Run:
    """Read and cross-check the files of an output folder (InputError naming the first bad one)."""
    d = Path(outdir)
    if not d.is_dir():
        raise InputError(d, "not a folder (give the output folder of 'genomeface bin')")
    with _open(d / "run.json") as fh:
        try:
            info = json.load(fh)
        except json.JSONDecodeError as exc:
            raise InputError(d / "run.json", f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(info, dict) or not isinstance(info.get("parameters", {}), dict) \
            or not isinstance(info.get("timings", {}), dict):
        raise InputError(d / "run.json", "expected an object with 'parameters' and 'timings' objects")
    bins = _read_bins(d / "bins.tsv")
    clusters = _read_clusters(d / "clusters.tsv", {b["bin"] for b in bins})
    names = xy = None
    if (d / PROJECTION).exists():
        names, xy = read_projection(d / PROJECTION)
        unknown = next((c for c in names if c not in clusters), None)
        if unknown is not None:
            raise InputError(d / PROJECTION, f"contig {unknown!r} is not in clusters.tsv")
    return _Run(bins, clusters, info, names, xy, _fasta_bases(d / "unbinned.fna"),
                _read_ejected(d / EJECTED, clusters) if (d / EJECTED).exists() else None)


def _read_ejected(path: Path, clusters: dict[str, str]) -> list[tuple[str, str, str]]:
    """``depth_ejected.tsv`` rows; InputError naming the file on a bad header or a contig not in clusters.tsv."""
    with _open(path) as fh:
        if fh.readline().rstrip("\n").split("\t") != ["contig", "left", "now"]:
            raise InputError(path, "header must be 'contig<TAB>left<TAB>now'")
        rows = []
        for i, line in enumerate(fh, 2):
            f = line.rstrip("\n").split("\t")
            if len(f) != 3 or f[0] not in clusters:
                raise InputError(path, f"line {i}: expected contig<TAB>left<TAB>now with a contig of clusters.tsv")
            rows.append((f[0], f[1], f[2]))
    return rows


def _ejected_section(rows: list[tuple[str, str, str]] | None, bins: list[dict], limit: int = 200) -> str:
    """The contigs depth coherence took out of their bins: per bin pair, then the first ``limit`` contigs."""
    if rows is None:
        return ""
    if not rows:
        return ('<section><h2>Depth coherence</h2><p class="cap">No contig left its bin: every bin\'s '
                'contigs have its core\'s depth within read-sampling noise.</p></section>')
    pairs: dict[tuple[str, str], int] = {}
    for _, a, b in rows:
        pairs[(a, b)] = pairs.get((a, b), 0) + 1
    ej_bp = {b["bin"]: b.get("depth_ejected_bp", "") for b in bins}
    head = "".join(f"<th>{h}</th>" for h in ("left bin", "now in", "contigs", "bp that left the bin"))
    body = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{k}</td>"
                   f"<td>{html.escape(str(ej_bp.get(a, '')))}</td></tr>" for (a, b), k in sorted(pairs.items()))
    listed = ", ".join(html.escape(c) for c, _, _ in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return (f'<section><h2>Depth coherence</h2><p class="cap">{len(rows)} contigs left a bin because their '
            f'depth profile is incompatible with the bin\'s core (its marker contigs) beyond read-sampling '
            f'noise; those of one depth form a bin of their own (a strain\'s accessory genome can), the rest '
            f'are unbinned (depth_ejected.tsv).</p><div class="tablewrap"><table class="sortable"><thead><tr>'
            f'{head}</tr></thead><tbody>{body}</tbody></table></div>'
            f'<p class="cap">Contigs: {listed}{more}.</p></section>')


# ----------------------------------------------------------------------------- SVG drawing

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
    return f"{v:.4g}"


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


def _quality_tier(c: float, k: float) -> str:
    return "high" if c >= 90 and k <= 5 else "medium" if c >= 50 and k <= 10 else "low"


def _fig_quality(bins: list[dict], colours: dict[str, str]) -> str:
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
    return html.escape(f'{b["bin"]}: {b["size_bp"] / 1e6:.2f} Mbp in {b["contigs"]} contigs, '
                       f'N50 {b["n50_bp"] / 1e3:.1f} kb, GC {100 * b["gc"]:.1f}%, depth {b["mean_depth"]:.3g}, '
                       f'completeness {b["completeness"]:.1f}%, contamination {b["contamination"]:.1f}%')


def _fig_size_gc(bins: list[dict]) -> str:
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


def _fig_projection(names: list[str], xy: np.ndarray, clusters: dict[str, str], order: list[str],
                    colours: dict[str, str], method: str, max_points: int = 20000) -> str:
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
    known = [s for s in STAGE_ORDER if s in timings]
    return known + sorted(s for s in timings if s not in STAGE_ORDER)


def _fig_stages(timings: dict, memory: dict | None, reused: list[str] = ()) -> str:
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


# ----------------------------------------------------------------------------- the page

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;margin:0;
 background:#f6f7f9}
main{max-width:1480px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:22px;margin:6px 0 2px}h2{font-size:17px;margin:0 0 6px}
.sub{color:#555;margin:0 0 14px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:10px 0 18px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#555;font-size:12.5px}
.grid2{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.grid2>section{flex:1 1 560px;min-width:0}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 16px;margin:0 0 18px}
.cap{color:#555;font-size:12.5px;margin:4px 0 0}
svg.fig{max-width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#eceef1}svg .frame{fill:none;stroke:#888}
svg .tick{font-size:11.5px;fill:#444}svg .label{font-size:13px;fill:#222}
svg .note{font-size:11.5px;fill:#2d6a2d;font-style:italic;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .tier{stroke:#5a8f5a;stroke-dasharray:5 4;stroke-width:1.2}
svg .tier-high{fill:#d9f0d3}svg .tier-medium{fill:#f3f7e4}
svg circle.bin{stroke:#222;stroke-width:.8;fill-opacity:.85}
svg .bar.time{fill:#4c72b0}svg .cached{fill:#2d6a2d;font-style:italic}svg .bar.memory{fill:#dd8452}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #e6e8eb;text-align:right}
th{background:#f0f2f5;cursor:pointer;user-select:none;position:sticky;top:0}
th:first-child,td:first-child{text-align:left}
th.asc:after{content:' \\25B2'}th.desc:after{content:' \\25BC'}
.tablewrap{max-height:560px;overflow:auto}
.sw{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}
.high{color:#1b7a1b;font-weight:600}.medium{color:#8a6d00}.low{color:#999}
table.params td{text-align:left}table.params td:first-child{color:#555}
code{font-size:12.5px}
"""

# sorts a table by the clicked column: numeric when every cell parses as a number
_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var b=t.tBodies[0],rows=Array.from(b.rows),asc=!th.classList.contains('asc');
  t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});
  th.classList.add(asc?'asc':'desc');
  var v=function(r){return r.cells[i].getAttribute('data-v')||r.cells[i].textContent};
  var num=rows.every(function(r){return !isNaN(parseFloat(v(r)))});
  rows.sort(function(a,c){var x=v(a),y=v(c);
   var d=num?parseFloat(x)-parseFloat(y):x.localeCompare(y,undefined,{numeric:true});return asc?d:-d});
  rows.forEach(function(r){b.appendChild(r)});});});});
"""


def _bin_table(bins: list[dict], colours: dict[str, str]) -> str:
    head = ["bin", "quality", "completeness (%)", "contamination (%)", "size (Mbp)", "contigs", "N50 (kb)",
            "GC (%)", "mean depth"]
    extra = [c for c in (bins[0] if bins else {}) if c not in NEEDED_COLUMNS]  # columns added to bins.tsv later
    rank = {"high": 0, "medium": 1, "low": 2}
    rows = []
    for b in bins:
        tier = _quality_tier(b["completeness"], b["contamination"])
        cells = [f'<td data-v="{html.escape(b["bin"])}"><span class="sw" style="background:{colours[b["bin"]]}">'
                 f'</span>{html.escape(b["bin"])}</td>',
                 f'<td class="{tier}" data-v="{rank[tier]}">{tier}</td>',
                 f'<td>{b["completeness"]:.1f}</td>', f'<td>{b["contamination"]:.1f}</td>',
                 f'<td data-v="{b["size_bp"]}">{b["size_bp"] / 1e6:.3f}</td>', f'<td>{b["contigs"]}</td>',
                 f'<td data-v="{b["n50_bp"]}">{b["n50_bp"] / 1e3:.1f}</td>', f'<td>{100 * b["gc"]:.1f}</td>',
                 f'<td>{b["mean_depth"]:.3g}</td>'] + [f'<td>{html.escape(b[c])}</td>' for c in extra]
        rows.append(f'<tr>{"".join(cells)}</tr>')
    return (f'<div class="tablewrap"><table id="bins-table" class="sortable"><thead><tr>'
            f'{"".join(f"<th>{html.escape(h)}</th>" for h in head + extra)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _kv_table(items: list[tuple[str, object]]) -> str:
    def fmt(v):
        if isinstance(v, (list, tuple)):
            return ", ".join(map(str, v)) if v else "none"
        return "none" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
    return ('<table class="params">' + "".join(f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(fmt(v))}"
                                               f"</code></td></tr>" for k, v in items) + "</table>")


def _shown(n: int, total: int) -> str:
    """How many contigs the projection shows.

    >>> _shown(5, 5), _shown(2, 5)
    ('5 contigs', 'A random sample of 2 of the 5 contigs')
    """
    return f"{n} contigs" if n >= total else f"A random sample of {n} of the {total} contigs"


def _reused(info: dict) -> list[str]:
    """Stages run.json says were read back from the stage cache (``cache.reused``), if any."""
    c = info.get("cache")
    return [str(s) for s in c.get("reused", [])] if isinstance(c, dict) else []


def render(run: _Run) -> str:
    """The report page for a read output folder (HTML text)."""
    bins, info, params = run.bins, run.info, run.info.get("parameters", {})
    order = [b["bin"] for b in sorted(bins, key=lambda b: -b["size_bp"])]
    colours = bin_colours(order)
    tiers = [_quality_tier(b["completeness"], b["contamination"]) for b in bins]
    binned_bp = sum(b["size_bp"] for b in bins)
    n_binned = sum(v != UNBINNED for v in run.clusters.values())
    total_bp = binned_bp + run.unbinned_bp if run.unbinned_bp is not None else None
    cards = [(len(bins), "bins"), (tiers.count("high"), "high quality (&ge;90% / &le;5%)"),
             (tiers.count("medium"), "medium quality (&ge;50% / &le;10%)"),
             (f"{n_binned} / {len(run.clusters)}", f"contigs binned (&ge; {params.get('min_contig_length', '?')} bp)")]
    if total_bp:
        cards.append((f"{binned_bp / 1e6:.1f} / {total_bp / 1e6:.1f}",
                      f"Mbp binned ({100 * binned_bp / total_bp:.0f}%)"))
    cards_html = "".join(f'<div class="card"><b>{v}</b><span>{t}</span></div>' for v, t in cards)
    title = f"genomeface report: {os.path.basename(str(params.get('contigs', ''))) or 'bins'}"
    samples = info.get("samples") or []
    sub = (f"genomeface {html.escape(str(info.get('version', '?')))} &middot; "
           f"{len(samples)} sample{'s' if len(samples) != 1 else ''} &middot; composition "
           f"<code>{html.escape(str(params.get('composition', '?')))}</code>, abundance "
           f"<code>{html.escape(str(params.get('abundance', '?')))}</code> &middot; "
           f"{html.escape(str(params.get('contigs', '')))}")
    if bins:
        figs = (f'<div class="grid2"><section><h2>Completeness and contamination</h2>'
                f'{_fig_quality(bins, colours)}<p class="cap">One circle per bin (area ~ size), estimated '
                f'from 40 universal single-copy marker genes. Shaded: MIMAG high-quality (&ge;90% complete, '
                f'&le;5% contaminated) and medium-quality (&ge;50%, &le;10%) drafts.</p></section>'
                f'<section><h2>Size, GC and depth</h2>{_fig_size_gc(bins)}<p class="cap">One circle per bin; '
                f'colour: length-weighted mean depth over the samples (log scale). Bins of one genome '
                f'split in two share GC and depth.</p></section></div>')
    else:
        figs = '<section><h2>Bins</h2><p>No bin reached the minimum bin size.</p></section>'
    if run.proj_names is not None and len(run.proj_names):
        method = info.get("projection", "layout")
        w = float(info.get("abundance_weight_used") or 0)
        how = ("on the first two principal axes of the concatenated embeddings [composition, &radic;w &middot; "
               "abundance], the space the binner's distance approximates" if method == "pca" else
               "laid out from the kNN graph of the binner's own distance (UMAP-style: neighbours pulled together, "
               "other contigs pushed apart), so groups are the binner's view; gaps between groups have no scale")
        proj = (f'<section><h2>Embedding projection</h2>'
                f'{_fig_projection(run.proj_names, run.proj_xy, run.clusters, order, colours, method)}'
                f'<p class="cap">{_shown(len(run.proj_names), len(run.clusters))} {how} '
                f'(abundance weight w = {w:.3g}). '
                f'Grey: unbinned. One bin in two separate groups is a merge worth checking; one group in '
                f'two colours, a genome split across bins.</p></section>')
    else:
        proj = (f'<section><h2>Embedding projection</h2><p class="cap">No {PROJECTION} in this folder '
                f'(written by genomeface bin from this version on).</p></section>')
    memory = info.get("memory_mb") if isinstance(info.get("memory_mb"), dict) else None
    stages = (f'<section><h2>Time{" and memory" if memory else ""} per stage</h2>'
              f'{_fig_stages(info.get("timings", {}), memory, _reused(info))}</section>') if info.get("timings") else ""
    run_items = [(k, params[k]) for k in sorted(params)]
    extra = [("genomeface", info.get("version")), ("python", info.get("python")),
             ("platform", info.get("platform")), ("samples", samples),
             ("abundance weight used", info.get("abundance_weight_used")),
             ("contigs in input", info.get("n_contigs_total")),
             ("contigs long enough to bin", info.get("n_contigs_binned_input")),
             ("rescued contigs", info.get("n_rescued")), ("total reward", info.get("total_reward"))]
    extra += [(f"{k} version", v) for k, v in sorted((info.get("versions") or {}).items())]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1><p class="sub">{sub}</p>
<div class="cards">{cards_html}</div>
{figs}
{proj}
<section><h2>Bins</h2><p class="cap">Click a column to sort.</p>{_bin_table(bins, colours)}</section>
{_ejected_section(run.ejected, bins)}
{stages}
<div class="grid2"><section><h2>Parameters</h2>{_kv_table(run_items)}</section>
<section><h2>Run</h2>{_kv_table([(k, v) for k, v in extra if v is not None])}</section></div>
</main><script>{_JS}</script></body></html>
"""


def write_report(outdir: PathLike) -> Path:
    """Write ``outdir/report.html`` from the folder's files (atomically) and return its path.

    Raises :class:`InputError` naming the file if one is missing or malformed;
    nothing is written then.
    """
    page = render(read_run(outdir))
    out = Path(outdir) / REPORT
    tmp = out.with_name(partial_name(REPORT))  # same folder: the rename is atomic; --force knows the name
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out

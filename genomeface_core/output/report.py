"""``report.html``: one self-contained page that shows a binning result.

Read from an output folder of ``genomeface bin`` (``bins.tsv``, ``clusters.tsv``,
``run.json``; ``projection.tsv``, ``unbinned.fna`` and ``depth_ejected.tsv`` when
present): summary cards, the figures of :mod:`genomeface_core.output.plots`, a
sortable bin table, the contigs depth coherence moved and the run's parameters.
No network, no external CSS or JavaScript (one inline script sorts the tables).
Problems with the folder's files are :class:`InputError` naming the file;
nothing is written then.
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
from genomeface_core.output.plots import bin_colours, projection_figure, quality_figure, size_gc_figure, stages_figure
from genomeface_core.output.style import CSS, JS

PathLike = str | os.PathLike

#: bins.tsv columns the report needs (output.BIN_COLUMNS may add more: they are shown as they are)
NEEDED_COLUMNS = ["bin", "contigs", "size_bp", "n50_bp", "gc", "mean_depth", "completeness", "contamination"]


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


# ----------------------------------------------------------------------------- the page

def render(run: _Run) -> str:
    """The report page for a read output folder (HTML text), one section a line."""
    order = [b["bin"] for b in sorted(run.bins, key=lambda b: -b["size_bp"])]  # largest first: colours, legend
    colours = bin_colours(order)
    title = f"genomeface report: {os.path.basename(str(run.info.get('parameters', {}).get('contigs', ''))) or 'bins'}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head>
<body><main>
{_header(run, title)}
{_figures(run.bins, colours)}
{_projection_section(run, order, colours)}
{_bin_table(run.bins, colours)}
{_ejected_section(run.ejected, run.bins)}
{_stages_section(run.info)}
{_parameters_section(run.info)}
</main><script>{JS}</script></body></html>
"""


def _header(run: _Run, title: str) -> str:
    """Title, a line on the run (version, samples, embeddings, input) and the summary cards."""
    info, params = run.info, run.info.get("parameters", {})
    samples = info.get("samples") or []
    sub = (f"genomeface {html.escape(str(info.get('version', '?')))} &middot; "
           f"{len(samples)} sample{'s' if len(samples) != 1 else ''} &middot; composition "
           f"<code>{html.escape(str(params.get('composition', '?')))}</code>, abundance "
           f"<code>{html.escape(str(params.get('abundance', '?')))}</code> &middot; "
           f"{html.escape(str(params.get('contigs', '')))}")
    cards = "".join(f'<div class="card"><b>{v}</b><span>{t}</span></div>' for v, t in _cards(run))
    return f'<h1>{html.escape(title)}</h1><p class="sub">{sub}</p>\n<div class="cards">{cards}</div>'


def _cards(run: _Run) -> list[tuple[object, str]]:
    """(value, caption) of the summary cards: bins, bins per quality tier, contigs and Mbp binned."""
    bins, params = run.bins, run.info.get("parameters", {})
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
    return cards


def _figures(bins: list[dict], colours: dict[str, str]) -> str:
    """The per-bin figures side by side (quality; size, GC and depth), or a note that there is no bin."""
    if not bins:
        return '<section><h2>Bins</h2><p>No bin reached the minimum bin size.</p></section>'
    return (f'<div class="grid2"><section><h2>Completeness and contamination</h2>'
            f'{quality_figure(bins, colours)}<p class="cap">One circle per bin (area ~ size), estimated '
            f'from 40 universal single-copy marker genes. Shaded: MIMAG high-quality (&ge;90% complete, '
            f'&le;5% contaminated) and medium-quality (&ge;50%, &le;10%) drafts.</p></section>'
            f'<section><h2>Size, GC and depth</h2>{size_gc_figure(bins)}<p class="cap">One circle per bin; '
            f'colour: length-weighted mean depth over the samples (log scale). Bins of one genome '
            f'split in two share GC and depth.</p></section></div>')


def _projection_section(run: _Run, order: list[str], colours: dict[str, str]) -> str:
    """The embedding projection and how it was made, or a note that the folder has no projection.tsv."""
    if run.proj_names is None or not len(run.proj_names):
        return (f'<section><h2>Embedding projection</h2><p class="cap">No {PROJECTION} in this folder '
                f'(written by genomeface bin from this version on).</p></section>')
    method = run.info.get("projection", "layout")
    w = float(run.info.get("abundance_weight_used") or 0)
    how = ("on the first two principal axes of the concatenated embeddings [composition, &radic;w &middot; "
           "abundance], the space the binner's distance approximates" if method == "pca" else
           "laid out from the kNN graph of the binner's own distance (UMAP-style: neighbours pulled together, "
           "other contigs pushed apart), so groups are the binner's view; gaps between groups have no scale")
    return (f'<section><h2>Embedding projection</h2>'
            f'{projection_figure(run.proj_names, run.proj_xy, run.clusters, order, colours, method)}'
            f'<p class="cap">{_shown(len(run.proj_names), len(run.clusters))} {how} '
            f'(abundance weight w = {w:.3g}). '
            f'Grey: unbinned. One bin in two separate groups is a merge worth checking; one group in '
            f'two colours, a genome split across bins.</p></section>')


def _shown(n: int, total: int) -> str:
    """How many contigs the projection shows.

    >>> _shown(5, 5), _shown(2, 5)
    ('5 contigs', 'A random sample of 2 of the 5 contigs')
    """
    return f"{n} contigs" if n >= total else f"A random sample of {n} of the {total} contigs"


def _bin_table(bins: list[dict], colours: dict[str, str]) -> str:
    """The sortable bin table: swatch, quality tier, the bins.tsv numbers (Mbp, kb, %), columns added later."""
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
    return (f'<section><h2>Bins</h2><p class="cap">Click a column to sort.</p><div class="tablewrap">'
            f'<table id="bins-table" class="sortable"><thead><tr>'
            f'{"".join(f"<th>{html.escape(h)}</th>" for h in head + extra)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _quality_tier(c: float, k: float) -> str:
    """MIMAG tier of a bin of completeness ``c`` and contamination ``k`` (%).

    >>> _quality_tier(95, 5), _quality_tier(95, 6), _quality_tier(49, 0)
    ('high', 'medium', 'low')
    """
    return "high" if c >= 90 and k <= 5 else "medium" if c >= 50 and k <= 10 else "low"


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


def _stages_section(info: dict) -> str:
    """Time (and memory, when run.json has ``memory_mb``) per stage; empty without timings."""
    if not info.get("timings"):
        return ""
    memory = info.get("memory_mb") if isinstance(info.get("memory_mb"), dict) else None
    return (f'<section><h2>Time{" and memory" if memory else ""} per stage</h2>'
            f'{stages_figure(info.get("timings", {}), memory, _reused(info))}</section>')


def _reused(info: dict) -> list[str]:
    """Stages run.json says were read back from the stage cache (``cache.reused``), if any."""
    c = info.get("cache")
    return [str(s) for s in c.get("reused", [])] if isinstance(c, dict) else []


def _parameters_section(info: dict) -> str:
    """The run's parameters and, beside them, what it ran on and what it found (versions, samples, counts)."""
    params = info.get("parameters", {})
    extra = [("genomeface", info.get("version")), ("python", info.get("python")),
             ("platform", info.get("platform")), ("samples", info.get("samples") or []),
             ("abundance weight used", info.get("abundance_weight_used")),
             ("contigs in input", info.get("n_contigs_total")),
             ("contigs long enough to bin", info.get("n_contigs_binned_input")),
             ("rescued contigs", info.get("n_rescued")), ("total reward", info.get("total_reward"))]
    extra += [(f"{k} version", v) for k, v in sorted((info.get("versions") or {}).items())]
    return (f'<div class="grid2"><section><h2>Parameters</h2>{_kv_table([(k, params[k]) for k in sorted(params)])}'
            f'</section>\n<section><h2>Run</h2>{_kv_table([(k, v) for k, v in extra if v is not None])}'
            f'</section></div>')


def _kv_table(items: list[tuple[str, object]]) -> str:
    """A two-column table of (name, value); lists joined by commas, None as "none", floats to 6 digits."""
    def fmt(v):
        if isinstance(v, (list, tuple)):
            return ", ".join(map(str, v)) if v else "none"
        return "none" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
    return ('<table class="params">' + "".join(f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(fmt(v))}"
                                               f"</code></td></tr>" for k, v in items) + "</table>")


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

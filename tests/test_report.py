"""report.html on a real bin output (the bundled demo): the figures, the table, the CLI, bad folders."""
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from genomeface_core.cli.main import main
from genomeface_core.errors import InputError
from genomeface_core.graph.layout import projection
from genomeface_core.output.plots import bin_colours
from genomeface_core.output.report import PROJECTION, REPORT, read_projection, write_projection, write_report


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo binned by the CLI, with its embeddings (``genomeface embed``) and projection.tsv."""
    from genomeface_core.demo import write_demo

    root = tmp_path_factory.mktemp("report")
    paths = write_demo(root / "in")
    out, npz = root / "out", root / "emb.npz"
    assert main(["-q", "bin", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(out), "-t", "2"]) == 0
    assert main(["-q", "embed", "-i", paths["contigs"], "-a", paths["depth"], "-o", str(npz), "-t", "2"]) == 0
    emb = dict(np.load(npz))
    if not (out / PROJECTION).exists():  # until bin writes it itself
        write_projection(out / PROJECTION, list(emb["names"]),
                         projection(emb["composition"], emb["abundance"], float(emb["abundance_weight"])))
    truth = dict(ln.rstrip("\n").split("\t")[:2] for ln in open(paths["truth"]) if not ln.startswith("contig"))
    return out, emb, truth


class _Svg(HTMLParser):
    """Elements of the page by figure id: tag, attributes and text, plus the bin table's rows."""

    def __init__(self):
        super().__init__()
        self.figs: dict[str, list[tuple[str, dict]]] = {}
        self.text: dict[str, list[str]] = {}
        self.rows: list[list[str]] = []
        self.external: list[str] = []
        self._fig = None
        self._table = False
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a and not a[k].startswith(("#", "data:")):
                self.external.append(a[k])
        if tag == "svg":
            self._fig = a.get("id")
            self.figs[self._fig], self.text[self._fig] = [], []
        elif self._fig:
            self.figs[self._fig].append((tag, a))
        if tag == "table" and a.get("id") == "bins-table":
            self._table = True
        elif self._table and tag == "tr":
            self.rows.append([])
        elif self._table and tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "svg":
            self._fig = None
        elif tag == "table":
            self._table = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._fig:
            self.text[self._fig].append(data)
        if self._cell is not None:
            self._cell += data


def _parse(path) -> _Svg:
    p = _Svg()
    p.feed(open(path, encoding="utf-8").read())
    return p


def _bins(out):
    rows = [ln.rstrip("\n").split("\t") for ln in open(out / "bins.tsv")]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _circles(page, fig, cls="bin"):
    return [a for t, a in page.figs[fig] if t == "circle" and a.get("class") == cls]


def test_report_figures_match_the_output(demo):
    out, _, _ = demo
    path = write_report(out)
    assert path == out / REPORT and path.stat().st_size > 5000
    page = _parse(path)
    bins, info = _bins(out), json.load(open(out / "run.json"))
    names = [b["bin"] for b in bins]
    assert len(bins) >= 2
    assert page.external == []  # self-contained: nothing fetched from anywhere
    # one circle per bin in both per-bin figures, at the bin's completeness / contamination
    for fig in ("fig-quality", "fig-size-gc"):
        assert sorted(a["data-bin"] for a in _circles(page, fig)) == sorted(names)
    q = {a["data-bin"]: a for a in _circles(page, "fig-quality")}
    best = max(bins, key=lambda b: float(b["completeness"]))
    assert float(q[best["bin"]]["cx"]) == max(float(a["cx"]) for a in q.values())
    labels = " ".join(page.text["fig-quality"] + page.text["fig-size-gc"])
    for lab in ("completeness (%", "contamination (%)", "bin size (Mbp", "GC (%)", "mean depth",
                "high quality", "medium quality"):
        assert lab in labels
    # MIMAG tier lines: completeness 50 and 90 (vertical), contamination 5 and 10 (horizontal)
    tiers = [a for t, a in page.figs["fig-quality"] if t == "line" and a.get("class") == "tier"]
    assert len(tiers) == 4
    # projection: every contig of projection.tsv drawn once, in its bin's colour, unbinned grey
    pnames, _ = read_projection(out / PROJECTION)
    clusters = dict(ln.rstrip("\n").split("\t")[::-1] for ln in list(open(out / "clusters.tsv"))[1:])
    colours = bin_colours(sorted(names, key=lambda b: -int(next(r["size_bp"] for r in bins if r["bin"] == b))))
    groups = [a for t, a in page.figs["fig-projection"] if t == "g" and a.get("class") == "contigs"]
    dots = [t for t, a in page.figs["fig-projection"] if t == "circle" and not a.get("class")]
    assert len(dots) == len(pnames)
    assert len(_circles(page, "fig-projection", "legend")) == len(names) + 1
    for g in groups:
        assert g["fill"] == colours[g["data-bin"]]
    drawn = {g["data-bin"] for g in groups}
    assert drawn == {clusters[c] for c in pnames}
    assert colours["unbinned"] == "#c4c4c4" and "layout 1" in page.text["fig-projection"]
    # the sortable table: header + one row per bin, bins.tsv's numbers
    assert page.rows[0][:4] == ["bin", "quality", "completeness (%)", "contamination (%)"]
    assert [r[0] for r in page.rows[1:]] == names
    for r, b in zip(page.rows[1:], bins):
        assert float(r[2]) == pytest.approx(float(b["completeness"]), abs=0.05)
        assert float(r[4]) == pytest.approx(int(b["size_bp"]) / 1e6, abs=5e-4)
        assert r[1] == ("high" if float(b["completeness"]) >= 90 and float(b["contamination"]) <= 5 else
                        "medium" if float(b["completeness"]) >= 50 and float(b["contamination"]) <= 10 else "low")
    # one time bar per stage, in pipeline order (run.json sorts them by name)
    bars = [a["data-stage"] for t, a in page.figs["fig-stages"] if t == "rect" and a["class"] == "bar time"]
    assert sorted(bars) == sorted(info["timings"]) and bars[0] == "read" and bars.index("features") < bars.index("knn")
    html_text = path.read_text()
    for k, v in info["parameters"].items():
        assert f">{k}<" in html_text
    assert "<script src" not in html_text and "<link" not in html_text


def test_memory_bars_when_run_json_has_memory(demo, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(demo[0], out)
    info = json.load(open(out / "run.json"))
    stages = sorted(info["timings"])
    for memory, n_bars in (({s: 100.0 + i for i, s in enumerate(stages)}, len(stages)),
                           ({s: None if s == "read" else 5.0 for s in stages}, len(stages) - 1), (None, 0)):
        info["memory_mb"] = memory
        json.dump(info, open(out / "run.json", "w"))
        page = _parse(write_report(out))
        bars = [a for t, a in page.figs["fig-stages"] if t == "rect" and a["class"] == "bar memory"]
        assert len(bars) == n_bars
        assert ("peak RSS" in " ".join(page.text["fig-stages"])) == (memory is not None)
    info["cache"] = {"folder": "c", "reused": ["markers"]}
    json.dump(info, open(out / "run.json", "w"))
    page = _parse(write_report(out))
    assert page.text["fig-stages"].count("(cached)") == 1


@pytest.mark.parametrize("method", ["layout", "pca"])
def test_projection_follows_the_genomes(demo, method):
    """Contigs of one genome sit together in the plane (nearest-centroid accuracy); deterministic per seed."""
    _, emb, truth = demo
    x, y, w = emb["composition"], emb["abundance"], float(emb["abundance_weight"])
    xy = projection(x, y, w, method=method)
    assert xy.shape == (len(x), 2) and np.isfinite(xy).all()
    lab = np.array([truth[n] for n in emb["names"]])
    cents = {g: xy[lab == g].mean(axis=0) for g in set(lab)}
    keys = sorted(cents)
    nearest = np.array(keys)[np.argmin([[np.sum((p - cents[g]) ** 2) for g in keys] for p in xy], axis=1)]
    assert (nearest == lab).mean() > 0.9
    assert np.array_equal(xy, projection(x, y, w, method=method))
    # composition only (weight 0) is another geometry: the abundance term is used
    assert not np.allclose(projection(x, y, 0.0, method=method), xy)


def test_projection_subsamples_and_takes_the_binners_graph(demo):
    from genomeface_core.graph.knn import knn_exact

    _, emb, _ = demo
    x, y, w = emb["composition"], emb["abundance"], float(emb["abundance_weight"])
    full = projection(x, y, w, method="pca")
    sub = projection(x, y, w, seed=1, max_points=100, method="pca")
    assert np.isfinite(sub).all()
    for k in range(2):  # PCA axes fitted on 100 contigs agree with those fitted on all
        assert abs(np.corrcoef(sub[:, k], full[:, k])[0, 1]) > 0.95
    lay = projection(x, y, w, seed=1, max_points=100)
    assert np.isfinite(lay).all(axis=1).sum() == 100  # the others are NaN ...
    assert np.array_equal(lay, projection(x, y, w, seed=1, max_points=100), equal_nan=True)
    # ... and write_projection leaves them out
    write_projection(demo[0].parent / "sub.tsv", list(emb["names"]), lay)
    assert len(read_projection(demo[0].parent / "sub.tsv")[0]) == 100
    graph = knn_exact(x, y, w, 15)
    assert np.array_equal(projection(x, y, w, neighbours=graph), projection(x, y, w))


def test_projection_tsv_round_trip(tmp_path):
    xy = np.array([[1.5, -2.25], [1e-7, 3e5]])
    write_projection(tmp_path / PROJECTION, ["c1", "c2"], xy)
    names, back = read_projection(tmp_path / PROJECTION)
    assert names == ["c1", "c2"] and np.allclose(back, xy, rtol=1e-6)


def _broken(demo, tmp_path, fname, text):
    out = tmp_path / "out"
    shutil.copytree(demo[0], out)
    (out / REPORT).unlink(missing_ok=True)
    if text is None:
        (out / fname).unlink()
    else:
        (out / fname).write_text(text)
    return out


@pytest.mark.parametrize("fname, text, problem", [
    ("bins.tsv", None, "missing"),
    ("run.json", "{not json", "not valid JSON"),
    ("bins.tsv", "bin\tcontigs\nbin1\t3\n", "missing column"),
    ("bins.tsv", "bin\tcontigs\tsize_bp\tn50_bp\tgc\tmean_depth\tcompleteness\tcontamination\n"
                 "bin1\t3\tlots\t1\t0.5\t1\t90\t1\n", "size_bp is not a number"),
    ("clusters.tsv", "bin\tcontig\nbin99\tc1\n", "bin 'bin99' is not in bins.tsv"),
    ("projection.tsv", "contig\tx\ty\nno_such_contig\t0\t0\n", "not in clusters.tsv"),
    ("projection.tsv", "contig\tx\ty\nc\tnan\t0\n", "finite"),
])
def test_bad_folder_names_the_file_and_writes_nothing(demo, tmp_path, fname, text, problem):
    out = _broken(demo, tmp_path, fname, text)
    with pytest.raises(InputError, match=re.escape(problem)) as exc:
        write_report(out)
    assert exc.value.path == str(out / fname)
    assert not (out / REPORT).exists() and not [p for p in os.listdir(out) if p.startswith(".")]


def test_no_projection_still_reports(demo, tmp_path):
    out = _broken(demo, tmp_path, PROJECTION, None)
    page = _parse(write_report(out))
    assert "fig-projection" not in page.figs and len(_circles(page, "fig-quality")) == len(_bins(out))


def test_cli_rewrites_the_report(demo, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(demo[0], out)
    (out / REPORT).write_text("stale")
    assert main(["report", str(out)]) == 0
    assert (out / REPORT).read_text().startswith("<!DOCTYPE html>")
    (out / "run.json").unlink()
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"genomeface: error: {out / 'run.json'}: missing (is this a 'genomeface bin' output folder?)"
    assert main(["report", str(tmp_path / "absent")]) == 2


@pytest.mark.skipif(not shutil.which("chromium-headless-shell") and not shutil.which("chromium"),
                    reason="no headless Chromium")
def test_renders_and_sorts_in_headless_chromium(demo, tmp_path):
    path = write_report(demo[0])
    exe = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    png = tmp_path / "r.png"
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={png}",
                    "--window-size=1400,2400", path.as_uri()], check=True, timeout=120, capture_output=True)
    assert png.stat().st_size > 50_000  # a blank page of that size compresses to a few kB
    # the inline script sorts the table: click "size (Mbp)" twice (descending), then once more (ascending)
    clicked = tmp_path / "clicked.html"
    clicked.write_text(path.read_text().replace(
        "</body>", '<script>var h=document.querySelectorAll("#bins-table th")[4];h.click();h.click();h.click()'
                   "</script></body>"))
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", clicked.as_uri()],
                         check=True, timeout=120, capture_output=True, text=True).stdout
    page = _Svg()
    page.feed(dom)
    sizes = [float(r[4]) for r in page.rows[1:]]
    assert len(sizes) == len(_bins(demo[0])) and sizes == sorted(sizes) and sizes != sorted(sizes, reverse=True)


def test_extra_bins_columns_and_no_bins(demo, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(demo[0], out)
    rows = [ln.rstrip("\n").split("\t") for ln in open(out / "bins.tsv")]
    (out / "bins.tsv").write_text("\n".join("\t".join(r + (["coherence"] if i == 0 else ["ok<1>"]))
                                            for i, r in enumerate(rows)) + "\n")
    page = _parse(write_report(out))
    assert page.rows[0][-1] == "coherence" and all(r[-1] == "ok<1>" for r in page.rows[1:])  # escaped, shown
    (out / "bins.tsv").write_text("\t".join(rows[0]) + "\n")
    (out / "clusters.tsv").write_text("bin\tcontig\n" + "".join(f"unbinned\t{c}\n" for c in
                                                                  read_projection(out / PROJECTION)[0]))
    page = _parse(write_report(out))
    assert "fig-quality" not in page.figs and len(page.rows) == 1
    assert {a["data-bin"] for t, a in page.figs["fig-projection"] if t == "g"} == {"unbinned"}


def test_pca_labels_and_sampled_caption(demo, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(demo[0], out)
    _, emb, _ = demo
    xy = projection(emb["composition"], emb["abundance"], float(emb["abundance_weight"]), method="pca")
    write_projection(out / PROJECTION, list(emb["names"])[:50], xy[:50])
    info = json.load(open(out / "run.json"))
    info["projection"] = "pca"
    json.dump(info, open(out / "run.json", "w"))
    page = _parse(write_report(out))
    assert "PC 1" in page.text["fig-projection"] and "PC 2" in page.text["fig-projection"]
    assert len([a for t, a in page.figs["fig-projection"] if t == "circle" and not a.get("class")]) == 50
    assert f"A random sample of 50 of the {len(emb['names'])} contigs" in (out / REPORT).read_text()

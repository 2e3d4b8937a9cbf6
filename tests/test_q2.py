"""QIIME 2 plugin q2_genomeface: `qiime genomeface bin` as a literal swap for q2-mag's
bin-contigs-metabat (MOSHPIT's exact call), `bin-coassembly`, `evaluate` and `summarize`.

Data: two samples in q2-mag's test-data layout (contigs/samp1_contigs.fa,
maps/samp1_alignment.bam, ...; contig names k141_N reused across samples) and a
co-assembly, built from the real genomes pyrodigal/pyhmmer ship with real BAM files
(q2_genomeface._example_data).  Needs QIIME 2 (Debian's qiime/q2cli/q2-types in
.venv-q2, see scripts/setup-q2.sh); skipped where qiime2 is not importable:

    bash scripts/setup-q2.sh && .venv-q2/bin/python -m pytest -q tests/test_q2.py
"""
import gzip
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import warnings
import zipfile
from collections import Counter

import pytest

with warnings.catch_warnings():  # Debian's ipywidgets/h5py on numpy 1.26: deprecation noise
    warnings.simplefilter("ignore", DeprecationWarning)
    qiime2 = pytest.importorskip("qiime2")
    pytest.importorskip("q2_types")
    from qiime2.plugin.testing import TestPluginBase


def _plugin_registered():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return "genomeface" in qiime2.sdk.PluginManager().plugins


pytestmark = [
    pytest.mark.skipif(not _plugin_registered(),
                       reason="q2_genomeface entry point not installed (run scripts/setup-q2.sh)"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

SORTED_MAPS = 'SampleData[AlignmentMap % Properties("sorted")]'
OUTPUTS = ("mags", "contig_map", "unbinned_contigs")  # q2-mag's bin_contigs_metabat, in its order
#: MOSHPIT's call of q2-mag's binner, flags as bokulich-lab/nf-moshpit modules/contig_binning.nf
#: (BIN_CONTIGS_METABAT) passes them (there `--p-num-threads ${task.cpus}`), action name swapped
MOSHPIT = ("--p-seed", 42, "--p-num-threads", 2)
MIN_CONTIG = 1500  # q2-mag's and genomeface's default min_contig
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium")


_CACHE_FRESH = []


def q2cli(*args, timeout=900):
    """``python -m q2cli ARGS`` (the venv's q2cli sees the editable plugin; /usr/bin/qiime does not).

    The first call refreshes q2cli's cache (6 s): an editable install keeps its version, so q2cli
    would otherwise show the action signatures it cached before the last edit."""
    if not _CACHE_FRESH:
        subprocess.run([sys.executable, "-m", "q2cli", "dev", "refresh-cache"], capture_output=True, timeout=600)
        _CACHE_FRESH.append(True)
    return subprocess.run([sys.executable, "-m", "q2cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def _actions():
    from qiime2.plugins.genomeface import actions
    return actions


def _fasta(path):
    """name -> sequence of a FASTA file."""
    out, name = {}, None
    for line in open(path):
        if line.startswith(">"):
            name = line[1:].split()[0]
            out[name] = []
        else:
            out[name].append(line.strip())
    return {k: "".join(v) for k, v in out.items()}


def _data_dir(artifact):
    return artifact.view(artifact.format).path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from q2_genomeface._example_data import write_samples
    d = tmp_path_factory.mktemp("q2data")
    dirs = write_samples(d)
    truth = {}
    for line in open(dirs["truth"]).read().splitlines()[1:]:
        sample, contig, genome, length = line.split("\t")
        truth[sample, contig] = (genome, int(length))
    arts = dict(contigs=qiime2.Artifact.import_data("SampleData[Contigs]", dirs["contigs"]),
                maps=qiime2.Artifact.import_data(SORTED_MAPS, dirs["maps"]),
                coassembly=qiime2.Artifact.import_data("FeatureData[Contig]", dirs["coassembly"]),
                coassembly_maps=qiime2.Artifact.import_data(SORTED_MAPS, dirs["coassembly_maps"]))
    for k, a in arts.items():
        a.save(str(d / f"{k}.qza"))
    return dict(dir=d, dirs=dirs, truth=truth, **arts)


@pytest.fixture(scope="module")
def moshpit_run(data):
    """MOSHPIT's bin-contigs-metabat call with the action swapped, through q2cli, unchanged:
    --i-contigs --i-alignment-maps --p-seed 42 --p-num-threads N and exactly three outputs."""
    d = data["dir"] / "moshpit"
    d.mkdir()
    r = q2cli("genomeface", "bin", "--i-contigs", data["dir"] / "contigs.qza",
              "--i-alignment-maps", data["dir"] / "maps.qza", *MOSHPIT,
              "--o-mags", d / "mags.qza", "--o-contig-map", d / "contig_map.qza",
              "--o-unbinned-contigs", d / "unbinned_contigs.qza")
    return d, r


@pytest.fixture(scope="module")
def binned(moshpit_run):
    d, r = moshpit_run
    assert r.returncode == 0, r.stderr + r.stdout
    out = {o: qiime2.Artifact.load(str(d / f"{o}.qza")) for o in OUTPUTS}
    out["dir"] = d
    out["manifest"] = [ln.split(",") for ln in (_data_dir(out["mags"]) / "MANIFEST").read_text().splitlines()]
    out["map"] = json.loads((_data_dir(out["contig_map"]) / "mag-to-contigs.json").read_text())
    return out


@pytest.fixture(scope="module")
def evaluated(data, binned):
    """``qiime genomeface evaluate`` of the MOSHPIT run's MAGs, with the alignment maps."""
    d = binned["dir"]
    r = q2cli("genomeface", "evaluate", "--i-mags", d / "mags.qza", "--i-alignment-maps", data["dir"] / "maps.qza",
              "--p-num-threads", 2, "--o-quality", d / "quality.qza")
    assert r.returncode == 0, r.stderr + r.stdout
    quality = qiime2.Artifact.load(str(d / "quality.qza"))
    return dict(quality=quality, md=quality.view(qiime2.Metadata).to_dataframe(), path=d / "quality.qza")


def _maps_with(data, tmp_path, replace: dict, name="maps"):
    """The samples' alignment maps with some files replaced (sample -> path or None to drop)."""
    folder = tmp_path / name
    shutil.copytree(data["dirs"]["maps"], folder)
    for sample, src in replace.items():
        dst = folder / f"{sample}_alignment.bam"
        dst.unlink()
        if src is not None:
            shutil.copyfile(src, dst)
    return folder


def _shuffled_bam(src, dst, so: str):
    """``src``'s records in random order, with header SO ``so``."""
    import random

    import pysam
    with pysam.AlignmentFile(str(src), "rb") as af:
        header = af.header.to_dict()
        reads = list(af)
    header["HD"]["SO"] = so
    random.Random(0).shuffle(reads)
    with pysam.AlignmentFile(str(dst), "wb", header=header) as out:
        for a in reads:
            out.write(a)
    return dst


def _one_sample(data, tmp_path, sample, bam=None):
    """(contigs, maps) artifacts holding only ``sample`` (optionally with another BAM file)."""
    c, m = tmp_path / f"contigs-{sample}", tmp_path / f"maps-{sample}"
    c.mkdir()
    m.mkdir()
    shutil.copyfile(os.path.join(data["dirs"]["contigs"], f"{sample}_contigs.fa"), c / f"{sample}_contigs.fa")
    shutil.copyfile(bam or os.path.join(data["dirs"]["maps"], f"{sample}_alignment.bam"),
                    m / f"{sample}_alignment.bam")
    return (qiime2.Artifact.import_data("SampleData[Contigs]", str(c)),
            qiime2.Artifact.import_data("SampleData[AlignmentMap]", str(m)))


def _sample_part(binned, sample):
    """MAG id -> contigs of the MAGs of one sample in the drop-in run."""
    ids = {row[1] for row in binned["manifest"][1:] if row[0] == sample}
    return {k: v for k, v in binned["map"].items() if k in ids}


# --- the literal swap: MOSHPIT's call, types, layout, ids --------------------------

def test_moshpit_call_runs_unchanged_with_three_outputs(moshpit_run):
    d, r = moshpit_run
    assert r.returncode == 0, r.stderr + r.stdout
    assert sorted(p.name for p in d.iterdir()) == sorted(f"{o}.qza" for o in OUTPUTS)
    for o, t in zip(OUTPUTS, ("SampleData[MAGs]", "FeatureMap[MAGtoContigs]",
                              "SampleData[Contigs % Properties('unbinned')]")):
        art = qiime2.Artifact.load(str(d / f"{o}.qza"))
        assert str(art.type) == t
        art.validate(level="max")
    with zipfile.ZipFile(d / "mags.qza") as z:  # q2-mag's names, recorded in provenance
        action = z.read(next(n for n in z.namelist() if n.endswith("/provenance/action/action.yaml"))).decode()
    assert re.search(r"\bseed: 42\b", action) and re.search(r"\bnum_threads: 2\b", action), action


def test_mag_layout_and_manifest(data, binned):
    root = _data_dir(binned["mags"])
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert binned["manifest"][0] == ["sample-id", "mag-id", "filename"]
    rows = binned["manifest"][1:]
    assert sorted(files) == sorted(["MANIFEST"] + [r[2] for r in rows])
    for sample, mid, filename in rows:
        assert filename == f"{sample}/{mid}.fasta"
        uuid.UUID(mid, version=4)
    assert {r[0] for r in rows} == {"samp1", "samp2"}, "every sample of this data yields a MAG"


def test_contig_map_ids_unique_across_samples_with_reused_names(data, binned):
    from q2_genomeface._actions import mag_id
    names = {s: set(_fasta(os.path.join(data["dirs"]["contigs"], f"{s}_contigs.fa"))) for s in ("samp1", "samp2")}
    assert "k141_0" in names["samp1"] & names["samp2"]
    rows = binned["manifest"][1:]
    assert sorted(binned["map"]) == sorted(r[1] for r in rows)
    assert len({r[1] for r in rows}) == len(rows)
    root = _data_dir(binned["mags"])
    for sample, mid, filename in rows:
        members = binned["map"][mid]
        assert list(_fasta(root / filename)) == members
        assert set(members) <= names[sample]
        assert mag_id(sample, members) == mid  # deterministic
    per_sample = [{c for m in _sample_part(binned, s).values() for c in m} for s in ("samp1", "samp2")]
    assert per_sample[0] & per_sample[1], "the same contig names are binned in both samples"


def _check_unbinned(contigs_dir, unbinned_root, parts: dict, min_contig: int) -> int:
    """As MetaBAT's unbinned (bin.unbinned.fa): per sample, the contigs of >= min_contig bp in no MAG,
    exactly; MAG contigs >= min_contig too.  Returns (given contigs shorter than min_contig: in neither
    output, unbinned contigs)."""
    short = n_unbinned = 0
    assert sorted(p.name for p in unbinned_root.iterdir()) == sorted(f"{s}_contigs.fa" for s in parts)
    for s, part in parts.items():
        given = _fasta(os.path.join(contigs_dir, f"{s}_contigs.fa"))
        unbinned = _fasta(unbinned_root / f"{s}_contigs.fa")
        in_mags = [c for m in part.values() for c in m]
        assert not set(unbinned) & set(in_mags), "an unbinned contig is in a MAG"
        assert all(len(unbinned[c]) >= min_contig for c in unbinned), "an unbinned contig is < min_contig"
        assert all(len(given[c]) >= min_contig for c in in_mags)
        assert sorted(set(unbinned) | set(in_mags)) == sorted(c for c, q in given.items() if len(q) >= min_contig)
        assert all(unbinned[c] == given[c] for c in unbinned)
        short += sum(len(q) < min_contig for q in given.values())
        n_unbinned += len(unbinned)
    return short, n_unbinned


def test_unbinned_contigs_are_long_enough_and_in_no_mag(data, binned):
    """<sample>_contigs.fa: the sample's contigs >= min_contig outside its MAGs (empty when all are
    binned); the data has shorter contigs, which are in neither output (MetaBAT's tooShort)."""
    parts = {s: _sample_part(binned, s) for s in ("samp1", "samp2")}
    short, _ = _check_unbinned(data["dirs"]["contigs"], _data_dir(binned["unbinned_contigs"]), parts, MIN_CONTIG)
    assert short, "the data has contigs shorter than min_contig, so the test can tell them apart"


def test_evaluate_quality_is_mag_metadata(data, binned, evaluated):
    from q2_genomeface._example_data import DEPTHS
    md = evaluated["md"]
    assert str(evaluated["quality"].type) == "ImmutableMetadata"
    assert sorted(md.index) == sorted(binned["map"])
    assert list(md.columns) == ["sample_id", "contigs", "size_bp", "n50_bp", "gc", "mean_depth", "completeness",
                                "contamination"]
    for sample, mid, _ in binned["manifest"][1:]:
        assert md.loc[mid, "sample_id"] == sample
        assert int(md.loc[mid, "contigs"]) == len(binned["map"][mid])
        length = sum(data["truth"][sample, c][1] for c in binned["map"][mid])
        assert int(md.loc[mid, "size_bp"]) == length
    # as filter-mags / dereplicate-mags use it: ids selected by a WHERE clause on MAG ids
    good = evaluated["quality"].view(qiime2.Metadata).get_ids("completeness >= 90 AND contamination <= 5")
    assert good and good <= set(binned["map"])
    # and the near-complete MAG is the C. diphtheriae genome of samp1
    for mid in good:
        bp = Counter()
        for c in binned["map"][mid]:
            genome, length = data["truth"][md.loc[mid, "sample_id"], c]
            bp[genome] += length
        genome, top = bp.most_common(1)[0]
        assert genome == "Corynebacterium_diphtheriae" and top / sum(bp.values()) >= 0.95, bp
        assert md.loc[mid, "mean_depth"] == pytest.approx(DEPTHS[genome][0], rel=0.1)  # samp1's 3x


def test_evaluate_equals_the_binning_engines_table(data, binned, evaluated, tmp_path):
    """evaluate's row of a MAG is the row genomeface_core.bin's table has for that bin: the same
    gene calls, estimate, statistics and depths (samp2, binned by the engine directly)."""
    import pysam

    import genomeface_core
    from q2_genomeface._actions import mag_id
    bam = tmp_path / "samp2.bam"
    shutil.copyfile(os.path.join(data["dirs"]["maps"], "samp2_alignment.bam"), bam)
    pysam.index(str(bam))
    res = genomeface_core.bin(os.path.join(data["dirs"]["contigs"], "samp2_contigs.fa"), bams=[str(bam)],
                              threads=2)
    md = evaluated["md"]
    assert res.table and set(md.index[md["sample_id"] == "samp2"]) == {mag_id("samp2", m) for m in res.bins.values()}
    for row in res.table:
        got = md.loc[mag_id("samp2", res.bins[row["bin"]])]
        for col in ("contigs", "size_bp", "n50_bp", "gc", "completeness", "contamination"):
            assert got[col] == pytest.approx(row[col]), col
        assert got["mean_depth"] == pytest.approx(row["mean_depth"], rel=1e-6)


def test_evaluate_without_maps_has_no_depth_and_summarize_draws_one_plot(data, binned, evaluated, tmp_path):
    """Without alignment maps there is no mean_depth column (no made-up zeros); the rest is as with
    them, and summarize's page has the completeness plot only."""
    from q2_genomeface._summarize import render
    src = _data_dir(binned["mags"])
    folder = tmp_path / "mags2"
    shutil.copytree(src / "samp2", folder / "samp2")
    (folder / "MANIFEST").write_text("\n".join(",".join(r) for r in binned["manifest"]
                                               if r[0] in ("sample-id", "samp2")) + "\n")
    mags = qiime2.Artifact.import_data("SampleData[MAGs]", str(folder))
    md = _actions().evaluate(mags=mags, num_threads=2).quality.view(qiime2.Metadata).to_dataframe()
    assert "mean_depth" not in md.columns and len(md) >= 1
    full = evaluated["md"].loc[md.index]
    for col in md.columns:
        assert list(md[col]) == list(full[col]), col
    page = render(md.to_dict(orient="index"))
    assert page.count("<circle") == len(md) and "mean depth" not in page


def test_unsorted_bam_is_sorted(data, binned, tmp_path):
    """SO:unsorted is sorted+indexed in a temporary folder: the same MAGs as from the sorted BAM."""
    bam = _shuffled_bam(os.path.join(data["dirs"]["maps"], "samp2_alignment.bam"), tmp_path / "u.bam", "unsorted")
    contigs, maps = _one_sample(data, tmp_path, "samp2", bam)
    res = _actions().bin(contigs=contigs, alignment_maps=maps, num_threads=2)
    got = json.loads((_data_dir(res.contig_map) / "mag-to-contigs.json").read_text())
    assert got == _sample_part(binned, "samp2")


def test_num_threads_0_is_all_cores_and_min_contig_reaches_the_engine(data, tmp_path):
    """q2-mag's num_threads 0 (all cores) is accepted and becomes the usable core count (the engine
    refuses threads 0); min_contig is the engine's min_contig_length: every MAG and unbinned contig
    is >= it, and the unbinned ones are exactly the long contigs in no MAG."""
    from q2_genomeface import _params
    assert _params.engine_kwargs({"num_threads": 0})["threads"] == _params.usable_cores() >= 1
    assert _params.engine_kwargs({"num_threads": 3})["threads"] == 3
    contigs, maps = _one_sample(data, tmp_path, "samp2")
    with pytest.raises(TypeError):
        _actions().bin(contigs=contigs, alignment_maps=maps, num_threads=-1)
    res = _actions().bin(contigs=contigs, alignment_maps=maps, num_threads=0, min_contig=6000)
    part = json.loads((_data_dir(res.contig_map) / "mag-to-contigs.json").read_text())
    assert part
    short, n_unbinned = _check_unbinned(data["dirs"]["contigs"], _data_dir(res.unbinned_contigs),
                                        {"samp2": part}, 6000)
    assert short > 0 and n_unbinned > 0, "both kinds of left-out contig occur here: too short, and long unbinned"


@pytest.mark.skipif(not (shutil.which("minimap2") and shutil.which("samtools")),
                    reason="minimap2/samtools not installed (scripts/test.sh installs them as root)")
def test_aligner_bam_without_sort_order(data, tmp_path):
    """A BAM as an aligner writes it (minimap2 -ax sr | samtools view -b: no SO, read-name order,
    secondary/supplementary records, soft clips) is sorted+indexed and binned."""
    import numpy as np
    from benchmarks.lab.reads import simulate_reads, write_fastq  # the lab (tests/conftest.py puts it on sys.path)
    fasta = os.path.join(data["dirs"]["contigs"], "samp2_contigs.fa")
    contigs = _fasta(fasta)
    r1, r2 = simulate_reads([[s.encode() for s in contigs.values()]], [3.0], np.random.default_rng(1))
    write_fastq(tmp_path / "r1.fq", r1)
    write_fastq(tmp_path / "r2.fq", r2)
    bam = tmp_path / "samp2_alignment.bam"
    mm = subprocess.Popen(["minimap2", "-ax", "sr", "-t", "2", fasta, str(tmp_path / "r1.fq"), str(tmp_path / "r2.fq")],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    subprocess.run(["samtools", "view", "-b", "-o", str(bam), "-"], stdin=mm.stdout, check=True, timeout=600)
    assert mm.wait(timeout=600) == 0
    import pysam
    with pysam.AlignmentFile(str(bam), "rb") as af:
        assert af.header.to_dict().get("HD", {}).get("SO") != "coordinate"
    contigs_art, maps = _one_sample(data, tmp_path, "samp2", bam)
    res = _actions().bin(contigs=contigs_art, alignment_maps=maps, num_threads=2)
    md = _actions().evaluate(mags=res.mags, alignment_maps=maps, num_threads=2).quality.view(
        qiime2.Metadata).to_dataframe()
    assert len(md) >= 1 and set(md["sample_id"]) == {"samp2"}
    assert 2.0 < md["mean_depth"].max() < 4.0  # the reads' 3x, measured from the aligner's BAM


# --- bad input: one line, no artifact ----------------------------------------

def _one_line(exc, *parts):
    msg = str(exc.value)
    assert "\n" not in msg, msg
    for p in parts:
        assert p in msg, msg
    return msg


def test_sample_mismatch_is_one_line(data, tmp_path):
    from genomeface_core.errors import InputError
    maps = qiime2.Artifact.import_data(SORTED_MAPS, str(_maps_with(data, tmp_path, {"samp2": None})))
    with pytest.raises(InputError) as exc:
        _actions().bin(contigs=data["contigs"], alignment_maps=maps)
    _one_line(exc, "same sample set", "samp1,samp2", "maps for samples: samp1.")


def test_bam_of_another_assembly_is_one_line(data, tmp_path):
    from genomeface_core.errors import InputError
    other = os.path.join(data["dirs"]["coassembly_maps"], "samp1_alignment.bam")  # same k141_N names
    maps = qiime2.Artifact.import_data(SORTED_MAPS, str(_maps_with(data, tmp_path, {"samp1": other})))
    with pytest.raises(InputError) as exc:
        _actions().bin(contigs=data["contigs"], alignment_maps=maps)
    _one_line(exc, "samp1_alignment.bam (alignment_maps): ", "BAM header", "another assembly")


def test_bam_claiming_sorted_but_unsorted_is_one_line(data, tmp_path):
    from genomeface_core.errors import InputError
    bam = _shuffled_bam(os.path.join(data["dirs"]["maps"], "samp2_alignment.bam"), tmp_path / "x.bam", "coordinate")
    maps = qiime2.Artifact.import_data(SORTED_MAPS, str(_maps_with(data, tmp_path, {"samp2": bam})))
    with pytest.raises(InputError) as exc:
        _actions().bin(contigs=data["contigs"], alignment_maps=maps)
    _one_line(exc, "samp2_alignment.bam (alignment_maps): ", "not in coordinate order")


def test_truncated_bam_is_refused_on_import(data, tmp_path):
    from qiime2.core.exceptions import ValidationError
    src = os.path.join(data["dirs"]["maps"], "samp1_alignment.bam")
    cut = tmp_path / "cut.bam"
    cut.write_bytes(open(src, "rb").read()[:50_000])
    with pytest.raises(ValidationError, match="truncated"):
        qiime2.Artifact.import_data(SORTED_MAPS, str(_maps_with(data, tmp_path, {"samp1": cut})))


def test_empty_contigs_is_one_line_and_no_artifact_via_cli(data, tmp_path):
    folder = tmp_path / "contigs"
    shutil.copytree(data["dirs"]["contigs"], folder)
    (folder / "samp1_contigs.fa").write_text("")
    contigs = qiime2.Artifact.import_data("SampleData[Contigs]", str(folder))
    contigs.save(str(tmp_path / "empty.qza"))
    outs = [tmp_path / f"{o}.qza" for o in OUTPUTS]
    r = q2cli("genomeface", "bin", "--i-contigs", tmp_path / "empty.qza", "--i-alignment-maps",
              data["dir"] / "maps.qza", *[x for o, p in zip(OUTPUTS, outs) for x in (f"--o-{o.replace('_', '-')}", p)])
    assert r.returncode != 0
    assert not any(p.exists() for p in outs)
    lines = [ln.strip() for ln in r.stderr.splitlines() if "samp1_contigs.fa (contigs): " in ln]
    assert lines and "empty file" in lines[0], r.stderr


def test_no_mag_in_any_sample_is_an_error(data, tmp_path):
    """In q2-mag's words, which MOSHPIT's pipeline greps for to skip the sample (exit 125)."""
    from genomeface_core.errors import InputError
    contigs, maps = _one_sample(data, tmp_path, "samp2")
    with pytest.raises(InputError) as exc:  # min_contig above every contig: nothing to bin
        _actions().bin(contigs=contigs, alignment_maps=maps, min_contig=10_000_000)
    _one_line(exc, "No MAGs were formed during binning", "1 sample(s)")


def test_evaluate_maps_without_a_mags_sample_is_one_line(data, binned, tmp_path):
    from genomeface_core.errors import InputError
    maps = qiime2.Artifact.import_data(SORTED_MAPS, str(_maps_with(data, tmp_path, {"samp1": None})))
    with pytest.raises(InputError) as exc:
        _actions().evaluate(mags=binned["mags"], alignment_maps=maps)
    _one_line(exc, "alignment_maps: ", "lack the sample(s) samp1")


def test_qiime_checks_ranges_from_the_table(data):
    with pytest.raises(TypeError):
        _actions().bin(contigs=data["contigs"], alignment_maps=data["maps"], min_purity=0.0)
    with pytest.raises(TypeError):
        _actions().bin(contigs=data["contigs"], alignment_maps=data["maps"], knn="fast")


# --- co-assembly ----------------------------------------------------------------

def test_coassembly_with_every_samples_bams(data):
    """bin's three outputs; every genome is one pure MAG (docs/qiime2.md's co-assembly run)."""
    res = _actions().bin_coassembly(contigs=data["coassembly"], alignment_maps=data["coassembly_maps"],
                                    num_threads=2)
    assert [str(r.type) for r in res] == ["SampleData[MAGs]", "FeatureMap[MAGtoContigs]",
                                          "SampleData[Contigs % Properties('unbinned')]"]
    root = _data_dir(res.mags)
    assert sorted(p.name for p in root.iterdir()) == ["MANIFEST", "all"]  # all_contigs.fa -> sample "all"
    mapping = json.loads((_data_dir(res.contig_map) / "mag-to-contigs.json").read_text())
    top = set()
    for members in mapping.values():
        bp = Counter()
        for c in members:
            genome, length = data["truth"]["all", c]
            bp[genome] += length
        genome, most = bp.most_common(1)[0]
        assert most / sum(bp.values()) >= 0.95, bp
        top.add(genome)
    assert "Corynebacterium_diphtheriae" in top


def test_coassembly_with_a_depth_table_equals_bams(data, binned, tmp_path):
    """One assembly (a one-sample SampleData[Contigs]) with its depths as a FeatureTable: the same
    MAGs (same ids) as binning it with its BAM."""
    import pysam
    from genomeface_core.io.bam import read_bam_depths
    from genomeface_core.io.fasta import read_fasta
    contigs, _ = _one_sample(data, tmp_path, "samp2")
    fasta = os.path.join(data["dirs"]["contigs"], "samp2_contigs.fa")
    bam = tmp_path / "samp2.bam"
    shutil.copyfile(os.path.join(data["dirs"]["maps"], "samp2_alignment.bam"), bam)
    pysam.index(str(bam))
    c = read_fasta(fasta)
    depth = read_bam_depths([str(bam)], c.names, c.lengths)
    tsv = tmp_path / "depth.tsv"
    tsv.write_text("contigname\tsamp2\n" + "".join(f"{n}\t{d[0]:.9g}\n" for n, d in zip(c.names, depth)))
    table = qiime2.Artifact.import_data("FeatureTable[Frequency]", str(tsv), view_type="ContigDepthTableFormat")
    res = _actions().bin_coassembly(contigs=contigs, depth=table, num_threads=2)
    got = json.loads((_data_dir(res.contig_map) / "mag-to-contigs.json").read_text())
    assert got == _sample_part(binned, "samp2")


def test_coassembly_by_composition_alone(data, tmp_path):
    """Neither alignment maps nor a depth table: composition only."""
    contigs, _ = _one_sample(data, tmp_path, "samp2")
    res = _actions().bin_coassembly(contigs=contigs, num_threads=2)
    manifest = (_data_dir(res.mags) / "MANIFEST").read_text().splitlines()[1:]
    assert manifest and {ln.split(",")[0] for ln in manifest} == {"samp2"}


def test_coassembly_refuses_many_assemblies_and_both_coverages(data, tmp_path):
    from genomeface_core.errors import InputError
    with pytest.raises(InputError) as exc:
        _actions().bin_coassembly(contigs=data["contigs"], alignment_maps=data["maps"])
    _one_line(exc, "a co-assembly is one assembly", "samp1, samp2")
    depth = qiime2.Artifact.import_data("FeatureTable[Frequency]", _depth_tsv(tmp_path),
                                        view_type="ContigDepthTableFormat")
    with pytest.raises(InputError) as exc:
        _actions().bin_coassembly(contigs=data["coassembly"], alignment_maps=data["coassembly_maps"], depth=depth)
    _one_line(exc, "not both")


def _depth_tsv(tmp_path):
    p = tmp_path / "d.tsv"
    p.write_text("contigname\tS1\nk141_0\t1.5\n")
    return str(p)


# --- visualization ----------------------------------------------------------------

def test_summarize_renders(binned, evaluated, data, tmp_path):
    d = binned["dir"]
    r = q2cli("genomeface", "summarize", "--i-mags", d / "mags.qza", "--i-quality", evaluated["path"],
              "--o-visualization", tmp_path / "mags.qzv")
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(tmp_path / "mags.qzv") as z:
        name = next(n for n in z.namelist() if n.endswith("/data/index.html"))
        z.extractall(tmp_path / "viz")
    index = tmp_path / "viz" / name
    page = index.read_text()
    assert "Sample samp1" in page and "Sample samp2" in page
    assert page.count("<circle") == 2 * len(binned["map"])  # two plots per sample, one point per MAG
    assert all(mid in page for mid in binned["map"])
    assert not re.search(r"(src|href)=\"https?:", page), "self-contained"
    assert (index.parent / "quality.tsv").exists()
    if CHROMIUM is None:
        pytest.skip("no headless Chromium (scripts/setup-q2.sh installs chromium-headless-shell as root)")
    png = tmp_path / "shot.png"
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1100,1300", f"--screenshot={png}", index.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert png.exists(), r.stderr
    Image = pytest.importorskip("PIL.Image")
    img = Image.open(png).convert("RGB")
    colours = Counter(img.getdata())
    # rendered, not blank: white background plus the plots' grey frames, orange/blue points, text
    assert len(colours) > 50 and colours.most_common(1)[0][1] < 0.95 * img.width * img.height
    shutil.copyfile(png, data["dir"] / "summarize.png")  # for a human to look at (pytest keeps tmp dirs)


def test_summarize_refuses_quality_of_other_mags(binned, evaluated, data):
    from genomeface_core.errors import InputError
    other = qiime2.Metadata(evaluated["md"].iloc[:1])
    from q2_genomeface._types import MultiMAGSequencesDirFmt
    with pytest.raises(InputError) as exc:
        from q2_genomeface._summarize import summarize
        summarize(str(data["dir"]), binned["mags"].view(MultiMAGSequencesDirFmt), other)
    _one_line(exc, "quality: ", "without a row")


# --- parameters: one table ------------------------------------------------------------

def test_every_bin_keyword_is_exposed_or_excluded_with_a_reason():
    import genomeface_core
    from genomeface_core import params as gp
    from q2_genomeface import _params
    every = list(inspect.signature(genomeface_core.bin).parameters)
    keywords = [p.name for p in gp.BIN_PARAMS]
    for k in every:  # a bin() keyword outside the table is an input/output the actions fill, with how
        assert k in keywords or len(_params.INPUTS.get(k, "")) > 10, f"bin() keyword {k!r}: expose or explain"
    from q2_genomeface._actions import EVALUATE_KEYWORDS
    for action, names in (("bin", keywords), ("bin_coassembly", keywords), ("evaluate", EVALUATE_KEYWORDS)):
        spec = getattr(_actions(), action).signature.parameters
        if action == "evaluate":
            spec = {k: v for k, v in spec.items() if k in {_params.Q2_NAME.get(n, n) for n in names}}
        for k in names:
            name = _params.Q2_NAME.get(k, k)
            if k in _params.NOT_EXPOSED:
                assert len(_params.NOT_EXPOSED[k]) > 20 and name not in spec, k
                continue
            assert name in spec, (action, k)
            p = gp.get(k)
            assert spec[name].default == p.default and spec[name].description
            if p.choices:
                assert all(c in spec[name].qiime_type for c in p.choices)
        assert set(spec) == {_params.Q2_NAME.get(k, k) for k in names if k not in _params.NOT_EXPOSED}
    # the table's q2 exclusions, plus those it does not record yet (moved there by the table's owner)
    assert set(_params.NOT_EXPOSED) == set(gp.NOT_EXPOSED["q2"]) | set(_params.PENDING_NOT_EXPOSED)
    assert all(len(why) > 20 for why in _params.PENDING_NOT_EXPOSED.values())


def test_shared_parameters_have_q2_mags_names_and_ranges():
    """q2-mag's bin_contigs_metabat (q2_mag/plugin_setup.py): num_threads Int % Range(0, None),
    seed, min_contig, min_cls_size; MetaBAT-only flags are not faked."""
    spec = _actions().bin.signature.parameters
    for name in ("num_threads", "seed", "min_contig", "min_cls_size"):
        assert name in spec, name
    assert 0 in spec["num_threads"].qiime_type and -1 not in spec["num_threads"].qiime_type
    assert 42 in spec["seed"].qiime_type and 1500 in spec["min_contig"].qiime_type
    assert spec["min_contig"].default == 1500 and spec["min_cls_size"].default == 200_000  # MetaBAT's -m, -s
    for metabat_only in ("max_p", "min_s", "max_edges", "p_tnf", "no_add", "min_cv", "min_cv_sum",
                         "debug", "verbose", "threads", "min_contig_length", "min_bin_size", "prefix"):
        assert metabat_only not in spec, metabat_only


def test_types_follow_the_table():
    from genomeface_core import params as gp
    from q2_genomeface._params import q2_type
    t = q2_type(gp.get("min_purity"))
    assert 1.0 in t and 0.5 in t and 0.0 not in t
    t = q2_type(gp.get("k"))
    assert 1 in t and 0 not in t
    assert "exact" in q2_type(gp.get("knn")) and "fast" not in q2_type(gp.get("knn"))
    assert "linear" in q2_type(gp.get("composition")) and "my/model.npz" not in q2_type(gp.get("composition"))


def test_abundance_network_without_nn_extra_is_one_line(data, tmp_path):
    try:
        import keras  # noqa: F401
        pytest.skip("the nn extra is installed here: abundance=network would run")
    except ImportError:
        pass
    from genomeface_core.errors import InputError
    contigs, maps = _one_sample(data, tmp_path, "samp2")
    with pytest.raises(InputError) as exc:
        _actions().bin(contigs=contigs, alignment_maps=maps, abundance="network")
    _one_line(exc, "pip install 'genomeface[nn]'")


# --- depth import, CLI, examples ---------------------------------------------------

def test_depth_import_is_a_feature_table(tmp_path):
    import pandas as pd
    from genomeface_core.demo import write_demo
    paths = write_demo(tmp_path)
    depth = qiime2.Artifact.import_data("FeatureTable[Frequency]", paths["depth"], view_type="ContigDepthTableFormat")
    df = depth.view(pd.DataFrame)  # samples x contigs
    assert list(df.index) == ["S1", "S2", "S3"]
    with gzip.open(paths["contigs"], "rt") as fh:
        names = {ln[1:].split()[0] for ln in fh if ln.startswith(">")}
    assert set(df.columns) == names
    first = open(paths["depth"]).read().splitlines()[1].split("\t")
    assert df.loc["S2", first[0]] == pytest.approx(float(first[2]), rel=1e-6)


def test_bad_depth_import_is_one_line(tmp_path):
    from qiime2.core.exceptions import ValidationError
    bad = tmp_path / "depth-negative.tsv"
    bad.write_text("contigname\tS1\nc1\t1.5\nc2\t-3\n")
    with pytest.raises(ValidationError) as exc:
        qiime2.Artifact.import_data("FeatureTable[Frequency]", str(bad), view_type="ContigDepthTableFormat")
    assert "negative depth" in str(exc.value)


def test_cli_help():
    r = q2cli("genomeface", "bin", "--help", timeout=300)
    assert r.returncode == 0, r.stderr
    for opt in ("--i-contigs", "--i-alignment-maps", "--p-min-contig", "--p-min-cls-size", "--p-num-threads",
                "--p-seed", "--p-neighbours", "--p-rescue-vote", "--p-composition", "--o-mags", "--o-contig-map",
                "--o-unbinned-contigs"):
        assert opt in r.stdout, opt
    assert "--p-markers-mode" in r.stdout
    options = r.stdout.split("\nExamples:")[0]  # the usage example goes on to evaluate's --o-quality
    for gone in ("--p-markers", "--o-quality", "--p-threads", "--p-min-contig-length", "--p-min-bin-size",
                 "--p-prefix"):
        assert not re.search(re.escape(gone) + r"(?![-\w])", options), gone
    r = q2cli("genomeface", "evaluate", "--help", timeout=300)
    assert r.returncode == 0, r.stderr
    for opt in ("--i-mags", "--i-alignment-maps", "--p-num-threads", "--p-markers-mode", "--o-quality"):
        assert opt in r.stdout, opt


class TestExamples(TestPluginBase):
    package = "q2_genomeface"

    def test_examples(self):
        self.execute_examples()

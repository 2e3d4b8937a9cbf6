"""QIIME 2 plugin q2_genomeface (`qiime genomeface bin`) on the bundled demo community.

Needs QIIME 2 (Debian's qiime/q2cli/q2-types in .venv-q2, see scripts/setup-q2.sh);
skipped where qiime2 is not importable, e.g. in the main .venv:

    bash scripts/setup-q2.sh && .venv-q2/bin/python -m pytest -q tests/test_q2.py
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import uuid
import warnings
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
    # Debian's h5py/biom/ipywidgets on numpy 1.26: third-party deprecation noise
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from genomeface_core.demo import write_demo
    d = tmp_path_factory.mktemp("q2demo")
    paths = write_demo(d)
    folder = d / "contigs"
    folder.mkdir()
    with gzip.open(paths["contigs"], "rb") as src, open(folder / "demo_contigs.fasta", "wb") as dst:
        shutil.copyfileobj(src, dst)
    contigs = qiime2.Artifact.import_data("FeatureData[Contig]", str(folder))
    depth = qiime2.Artifact.import_data("FeatureTable[Frequency]", paths["depth"],
                                        view_type="ContigDepthTableFormat")
    truth = {}
    with open(paths["truth"]) as fh:
        next(fh)
        for line in fh:
            contig, genome, length = line.rstrip("\n").split("\t")
            truth[contig] = (genome, int(length))
    return dict(dir=d, paths=paths, contigs=contigs, depth=depth, truth=truth)


@pytest.fixture(scope="module")
def binned(demo):
    from qiime2.plugins.genomeface import actions
    return actions.bin(contigs=demo["contigs"], depth=demo["depth"], threads=2, seed=0)


def test_depth_import_is_a_feature_table(demo):
    import pandas as pd
    df = demo["depth"].view(pd.DataFrame)  # samples x contigs
    assert list(df.index) == ["S1", "S2", "S3"]
    assert set(df.columns) == set(demo["truth"])
    first = open(demo["paths"]["depth"]).read().splitlines()[1].split("\t")
    assert df.loc["S2", first[0]] == pytest.approx(float(first[2]), rel=1e-6)


def test_bin_recovers_pure_mags(demo, binned):
    mags, contig_map, quality = binned
    assert str(mags.type) == "FeatureData[MAG]"
    assert str(contig_map.type) == "FeatureMap[MAGtoContigs]"
    assert str(quality.type) == "ImmutableMetadata"

    mag_dir = mags.view(mags.format)
    files = sorted(p for p in mag_dir.path.iterdir())
    assert files, "no MAG written"
    mapping = json.loads((contig_map.view(contig_map.format).path / "mag-to-contigs.json").read_text())
    assert sorted(p.name for p in files) == sorted(f"{m}.fasta" for m in mapping)
    for p in files:
        uuid.UUID(p.stem, version=4)
        headers = [ln[1:].split()[0] for ln in p.read_text().splitlines() if ln.startswith(">")]
        assert headers == mapping[p.stem]

    truth = demo["truth"]
    binned_contigs = [c for members in mapping.values() for c in members]
    assert len(binned_contigs) == len(set(binned_contigs)), "a contig is in two MAGs"
    pure = []
    for mid, members in mapping.items():
        bp = Counter()
        for c in members:
            genome, length = truth[c]
            bp[genome] += length
        genome, top = bp.most_common(1)[0]
        precision = top / sum(bp.values())
        if precision >= 0.95:
            pure.append((genome, precision, sum(bp.values())))
    assert pure, f"no MAG is >= 95% one genome: {mapping.keys()}"

    md = quality.view(qiime2.Metadata).to_dataframe()
    assert sorted(md.index) == sorted(mapping)
    for col in ("bin", "contigs", "size_bp", "completeness", "contamination"):
        assert col in md.columns
    for mid, members in mapping.items():
        assert int(md.loc[mid, "contigs"]) == len(members)


def test_bin_is_deterministic_ids(binned):
    from q2_genomeface._actions import mag_id
    mapping = json.loads((binned[1].view(binned[1].format).path / "mag-to-contigs.json").read_text())
    for mid, members in mapping.items():
        assert mag_id(members) == mid


def test_bad_input_is_one_line(demo, tmp_path):
    from genomeface_core.errors import InputError
    from qiime2.plugins.genomeface import actions
    # a depth table that lacks a contig of the assembly: refused before any binning work
    lines = open(demo["paths"]["depth"]).read().splitlines()
    bad = tmp_path / "depth-missing.tsv"
    bad.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    depth = qiime2.Artifact.import_data("FeatureTable[Frequency]", str(bad), view_type="ContigDepthTableFormat")
    with pytest.raises(InputError) as exc:
        actions.bin(contigs=demo["contigs"], depth=depth)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("depth (FeatureTable[Frequency]): "), msg
    assert lines[1].split("\t")[0] in msg


def test_embedding_choices_reach_the_engine(demo):
    """composition/abundance reach genomeface_core.bin: tnf runs; the abundance network runs with
    the nn extra installed and otherwise stops with one line saying so."""
    from genomeface_core.errors import InputError
    from qiime2.plugins.genomeface import actions
    try:
        import keras  # noqa: F401
        has_nn = True
    except ImportError:
        has_nn = False
    mags, _, quality = actions.bin(contigs=demo["contigs"], depth=demo["depth"], composition="tnf", threads=2)
    assert len(quality.view(qiime2.Metadata).to_dataframe()) >= 1
    if has_nn:
        actions.bin(contigs=demo["contigs"], depth=demo["depth"], abundance="network", threads=2)
    else:
        with pytest.raises(InputError) as exc:
            actions.bin(contigs=demo["contigs"], depth=demo["depth"], abundance="network", threads=2)
        assert "\n" not in str(exc.value) and "pip install 'genomeface[nn]'" in str(exc.value)


def test_bad_depth_import_is_one_line(tmp_path):
    from qiime2.core.exceptions import ValidationError
    bad = tmp_path / "depth-negative.tsv"
    bad.write_text("contigname\tS1\nc1\t1.5\nc2\t-3\n")
    with pytest.raises(ValidationError) as exc:
        qiime2.Artifact.import_data("FeatureTable[Frequency]", str(bad), view_type="ContigDepthTableFormat")
    assert "negative depth" in str(exc.value)


def test_cli_help():
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "q2cli", "genomeface", "bin", "--help"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    for opt in ("--i-contigs", "--i-depth", "--p-min-contig-length", "--p-min-bin-size", "--p-threads",
                "--p-seed", "--p-composition", "--p-abundance", "--o-mags", "--o-contig-map", "--o-quality"):
        assert opt in r.stdout, opt


class TestExamples(TestPluginBase):
    package = "q2_genomeface"

    def test_examples(self):
        self.execute_examples()

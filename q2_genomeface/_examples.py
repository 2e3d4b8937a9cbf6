"""Usage examples of ``qiime genomeface bin`` (QIIME 2 usage API).

Inputs are built from the bundled demo community
(:func:`genomeface_core.demo.write_demo`: three real genomes that pyrodigal
and pyhmmer ship, cut into contigs, with depths in three samples), so the
examples run offline.
"""
from __future__ import annotations

import gzip
import os
import shutil
import tempfile


def _demo(fn):
    """Write the demo data into a temporary folder and call ``fn(folder)``."""
    from genomeface_core.demo import write_demo
    with tempfile.TemporaryDirectory(prefix="q2-genomeface-demo-") as tmp:
        write_demo(tmp)
        return fn(tmp)


def demo_contigs_factory():
    """The demo assembly as ``FeatureData[Contig]`` (``demo_contigs.fasta``)."""
    import qiime2

    def build(tmp):
        folder = os.path.join(tmp, "contigs")
        os.mkdir(folder)
        with gzip.open(os.path.join(tmp, "contigs.fna.gz"), "rb") as src, \
                open(os.path.join(folder, "demo_contigs.fasta"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        return qiime2.Artifact.import_data("FeatureData[Contig]", folder)
    return _demo(build)


def demo_depth_factory():
    """The demo depth table (``contigname`` TSV, 3 samples) as ``FeatureTable[Frequency]``."""
    import qiime2
    return _demo(lambda tmp: qiime2.Artifact.import_data(
        "FeatureTable[Frequency]", os.path.join(tmp, "depth.tsv"), view_type="ContigDepthTableFormat"))


def bin_demo(use):
    contigs = use.init_artifact("contigs", demo_contigs_factory)
    depth = use.init_artifact("depth", demo_depth_factory)
    mags, contig_map, quality = use.action(
        use.UsageAction(plugin_id="genomeface", action_id="bin"),
        use.UsageInputs(contigs=contigs, depth=depth, min_bin_size=200000, threads=2, seed=0),
        use.UsageOutputNames(mags="mags", contig_map="contig_map", quality="quality"),
    )
    mags.assert_output_type("FeatureData[MAG]")
    contig_map.assert_output_type("FeatureMap[MAGtoContigs]")
    quality.assert_output_type("ImmutableMetadata")

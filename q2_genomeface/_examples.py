"""Usage examples (QIIME 2 usage API), modelled on q2-mag's (q2_mag/semibin2/_examples.py).

Inputs are the two tiny samples of :mod:`._example_data` in q2-mag's test-data
layout (``contigs/samp1_contigs.fa``, ``maps/samp1_alignment.bam``, ...): real
genomes shipped by the installed pyrodigal/pyhmmer wheels, real BAM files, so
the examples run offline.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile

_DATA: dict[str, str] = {}


def _data_path(name: str) -> str:
    """A folder of the example data, written once per process (removed at exit)."""
    if not _DATA:
        from ._example_data import write_samples
        tmp = tempfile.mkdtemp(prefix="q2-genomeface-examples-")
        atexit.register(shutil.rmtree, tmp, True)
        _DATA.update(write_samples(tmp))
    return _DATA[name]


def contigs_factory():
    import qiime2
    return qiime2.Artifact.import_data("SampleData[Contigs]", _data_path("contigs"))


def alignment_maps_factory():
    import qiime2
    return qiime2.Artifact.import_data('SampleData[AlignmentMap % Properties("sorted")]', _data_path("maps"))


def coassembly_factory():
    import qiime2
    return qiime2.Artifact.import_data("FeatureData[Contig]", _data_path("coassembly"))


def coassembly_maps_factory():
    import qiime2
    return qiime2.Artifact.import_data('SampleData[AlignmentMap % Properties("sorted")]',
                                       _data_path("coassembly_maps"))


def _bin(use, action_id: str, contigs, alignment_maps):
    """Run one binning action as MOSHPIT runs bin-contigs-metabat (num_threads, seed; the three
    outputs named as q2-mag names them); check their types."""
    mags, contig_map, unbinned_contigs = use.action(
        use.UsageAction(plugin_id="genomeface", action_id=action_id),
        use.UsageInputs(contigs=contigs, alignment_maps=alignment_maps, num_threads=2, seed=42),
        use.UsageOutputNames(mags="mags", contig_map="contig_map", unbinned_contigs="unbinned_contigs"),
    )
    mags.assert_output_type("SampleData[MAGs]")
    contig_map.assert_output_type("FeatureMap[MAGtoContigs]")
    unbinned_contigs.assert_output_type("SampleData[Contigs % Properties('unbinned')]")
    return mags


def bin_evaluate_summarize(use):
    contigs = use.init_artifact("contigs", contigs_factory)
    alignment_maps = use.init_artifact("alignment_maps", alignment_maps_factory)
    mags = _bin(use, "bin", contigs, alignment_maps)
    quality, = use.action(
        use.UsageAction(plugin_id="genomeface", action_id="evaluate"),
        use.UsageInputs(mags=mags, alignment_maps=alignment_maps, num_threads=2),
        use.UsageOutputNames(quality="quality"),
    )
    quality.assert_output_type("ImmutableMetadata")
    use.action(
        use.UsageAction(plugin_id="genomeface", action_id="summarize"),
        use.UsageInputs(mags=mags, quality=quality),
        use.UsageOutputNames(visualization="mag_quality"),
    )


def bin_coassembly(use):
    contigs = use.init_artifact("coassembly", coassembly_factory)
    alignment_maps = use.init_artifact("coassembly_maps", coassembly_maps_factory)
    _bin(use, "bin_coassembly", contigs, alignment_maps)

"""QIIME 2 plugin ``genomeface``: registration only (action: ``_actions.bin``)."""
from qiime2.plugin import Choices, Citations, Float, Int, Plugin, Range, Str
from q2_types.feature_data import FeatureData
from q2_types.feature_table import FeatureTable, Frequency

import genomeface_core

from . import _actions, _examples
from ._types import Contig, FeatureMap, ImmutableMetadata, MAG, MAGtoContigs, register

try:
    citations = Citations.load("citations.bib", package="q2_genomeface")
    _cite = [citations["lettich2024genomeface"]]
except (FileNotFoundError, OSError, KeyError):  # a wheel built without package data
    _cite = []

plugin = Plugin(
    name="genomeface",
    version=genomeface_core.__version__,
    website="none yet (see the genomeface README)",
    package="q2_genomeface",
    description="Metagenome binning by the GenomeFace method: k-mer composition and co-abundance "
                "embeddings, kNN graph, minimum spanning tree, single-linkage dendrogram and the "
                "cut that maximises a 40-marker-gene reward.",
    short_description="Metagenome binning (GenomeFace method).",
    citations=_cite,
)

register(plugin)

plugin.methods.register_function(
    function=_actions.bin,
    inputs={"contigs": FeatureData[Contig], "depth": FeatureTable[Frequency]},
    parameters={
        "min_contig_length": Int % Range(1, None),
        "min_bin_size": Int % Range(0, None),
        "threads": Int % Range(1, None),
        "seed": Int % Range(0, None),
        "composition": Str % Choices(["linear", "tnf", "kmer1712", "network"]),
        "abundance": Str % Choices(["raw", "network"]),
        "abundance_weight": Float % Range(0, None),
        "neighbours": Int % Range(1, None),
        "knn": Str % Choices(["auto", "exact", "approx"]),
        "device": Str % Choices(["cpu", "gpu", "auto"]),
        "min_purity": Float % Range(0, 1, inclusive_start=False, inclusive_end=True),
        "prefix": Str,
    },
    outputs=[("mags", FeatureData[MAG]), ("contig_map", FeatureMap[MAGtoContigs]),
             ("quality", ImmutableMetadata)],
    input_descriptions={
        "contigs": "Contigs of one assembly (all files of the artifact are binned together; "
                   "contig names must be unique).",
        "depth": "Mean depth (reads per base) of every contig in each sample: samples x contigs, "
                 "matched to the contigs by name (a missing or extra contig is an error). Import a "
                 "MetaBAT jgi_summarize_bam_contig_depths file or a 'contigname' TSV (VAMB, "
                 "strobealign --aemb) with --input-format ContigDepthTableFormat. Omit to bin "
                 "by composition alone.",
    },
    parameter_descriptions={
        "min_contig_length": "Contigs shorter than this (bp) are ignored.",
        "min_bin_size": "Clusters smaller than this (bp) are reported as unbinned.",
        "threads": "Worker threads.",
        "seed": "Recorded; every stage is deterministic for a given input.",
        "composition": "Composition embedding: linear (the shipped learned metric, default), raw "
                       "tetranucleotide (tnf) or 1712 k-mer frequencies, or the shipped composition "
                       "network (network; needs genomeface's nn extra, TensorFlow).",
        "abundance": "Abundance embedding: raw (log1p depths plus a constant coordinate, default) or the "
                     "shipped co-abundance network (network; needs the nn extra).",
        "abundance_weight": "Override the fitted weight c2(n) of the abundance angle.",
        "neighbours": "Neighbours per contig in the kNN graph.",
        "knn": "kNN search: exact, approximate (faiss HNSW + exact re-rank) or auto by size.",
        "device": "Array device for distances and kNN.",
        "min_purity": "Purity threshold of the marker-gene reward.",
        "prefix": "Bin name prefix (recorded in the 'bin' column of the quality table).",
    },
    output_descriptions={
        "mags": "One FASTA per bin; the file name (MAG id) is a UUID derived from the bin's contigs.",
        "contig_map": "MAG id -> the contigs it contains.",
        "quality": "Per MAG: bin name, contigs, size, N50, GC, mean depth, and marker-gene "
                   "completeness and contamination (%).",
    },
    name="Bin contigs into MAGs (GenomeFace).",
    description="Bins the contigs of an assembly into metagenome-assembled genomes with "
                "genomeface_core.bin(). Bad input stops with one line naming the input and the "
                "problem.",
    citations=_cite,
    examples={"bin_demo": _examples.bin_demo},
)

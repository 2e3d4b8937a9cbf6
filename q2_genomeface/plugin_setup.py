"""QIIME 2 plugin ``genomeface``: registration only.

Actions: ``bin`` (a literal swap for q2-mag's ``bin-contigs-metabat``: the same
inputs, the same three outputs, q2-mag's names for the shared parameters; see
q2_mag/plugin_setup.py in bokulich-lab/q2-mag), ``bin-coassembly`` (one
assembly, every sample's coverage; the same outputs), ``evaluate`` (the quality
table of any ``SampleData[MAGs]``) and the visualizer ``summarize``.
Parameters come from :mod:`genomeface_core.params` via :mod:`._params`.
"""
from qiime2.plugin import Citations, Plugin, Properties
from q2_types.feature_data import FeatureData
from q2_types.feature_table import FeatureTable, Frequency
from q2_types.sample_data import SampleData

import genomeface_core

from . import _actions, _examples, _params, _summarize
from ._types import AlignmentMap, Contig, Contigs, FeatureMap, ImmutableMetadata, MAGs, MAGtoContigs, register

citations = Citations.load("citations.bib", package="q2_genomeface")
#: what runs in a binning action (and in evaluate): the method, gene calling, marker HMM search, the marker set,
#: BAM reading/sorting (samtools via pysam) and MetaBAT's depth rules
_BIN_CITES = [citations[k] for k in (
    "lettich2024genomeface", "hyatt2010prodigal", "larralde2022pyrodigal", "eddy2011hmmer",
    "larralde2023pyhmmer", "ciccarelli2006tree", "sunagawa2013fetchmgs", "li2009samtools",
    "danecek2021samtools", "pysam", "kang2019metabat2")]

plugin = Plugin(
    name="genomeface",
    version=genomeface_core.__version__,
    website="none yet (see the genomeface README)",
    package="q2_genomeface",
    description="Metagenome binning by the GenomeFace method: k-mer composition and co-abundance "
                "embeddings, kNN graph, minimum spanning tree, single-linkage dendrogram and the "
                "cut that maximises a 40-marker-gene reward. 'bin' takes the inputs and the parameters "
                "num_threads, seed, min_contig and min_cls_size of q2-mag's bin-contigs-metabat and returns "
                "its three outputs; 'evaluate' estimates MAG quality from the same 40 marker genes.",
    short_description="Metagenome binning (GenomeFace method).",
    citations=[citations["lettich2024genomeface"]],
)

register(plugin)

# outputs of q2-mag's bin_contigs_metabat, in its order (q2_mag/plugin_setup.py)
_OUTPUTS = [("mags", SampleData[MAGs]), ("contig_map", FeatureMap[MAGtoContigs]),
            ("unbinned_contigs", SampleData[Contigs % Properties("unbinned")])]
_OUTPUT_DESCRIPTIONS = {
    "mags": "The resulting MAGs: <sample>/<MAG id>.fasta and a MANIFEST; the MAG id is a UUID derived "
            "from the sample and the MAG's contigs, so it is unique across samples.",
    "contig_map": "Mapping of MAG identifiers to the contig identifiers contained in each MAG (all samples).",
    "unbinned_contigs": "Contigs of at least min_contig bp that were not binned into any MAG "
                        "(<sample>_contigs.fa), as MetaBAT's unbinned contigs; shorter contigs are in "
                        "neither output.",
}
_ALIGNMENT_MAPS = ("Reads-to-contig alignment maps (BAM), one per sample, e.g. from q2-assembly map-reads; "
                   "sorted or not (unsorted ones are sorted and indexed in a temporary folder).")
_MAPS_BY_SAMPLE = " Paired with the contigs by sample id (<sample>_alignment.bam with <sample>_contigs.fa)"

plugin.methods.register_function(
    function=_params.with_parameters(_actions.bin),
    inputs={"contigs": SampleData[Contigs], "alignment_maps": SampleData[AlignmentMap]},
    parameters=_params.parameters(),
    outputs=_OUTPUTS,
    input_descriptions={
        "contigs": "Contigs to be binned, one assembly per sample.",
        "alignment_maps": _ALIGNMENT_MAPS + _MAPS_BY_SAMPLE + "; the sample sets must be equal.",
    },
    parameter_descriptions=_params.parameter_descriptions(),
    output_descriptions=_OUTPUT_DESCRIPTIONS,
    name="Bin contigs into MAGs using GenomeFace.",
    description="Bins each sample's contigs into MAGs with genomeface_core.bin(), using that sample's "
                "reads-to-contigs alignment map for depths (MetaBAT's depth rules). Takes the inputs of "
                "q2-mag's bin-contigs-metabat, its num_threads, seed, min_contig and min_cls_size parameters, and "
                "returns its three outputs; MAG quality comes from 'evaluate'. A sample without a MAG is "
                "not an error; a run in which no sample yields one is. Bad input stops with one line "
                "naming the input.",
    citations=_BIN_CITES,
    examples={"bin_evaluate_summarize": _examples.bin_evaluate_summarize},
)

plugin.methods.register_function(
    function=_params.with_parameters(_actions.bin_coassembly),
    inputs={"contigs": FeatureData[Contig] | SampleData[Contigs],
            "alignment_maps": SampleData[AlignmentMap], "depth": FeatureTable[Frequency]},
    parameters=_params.parameters(),
    outputs=_OUTPUTS,
    input_descriptions={
        "contigs": "One assembly (e.g. q2-assembly's assemble-megahit --p-coassemble output, "
                   "all_contigs.fa); a SampleData[Contigs] must hold exactly one sample.",
        "alignment_maps": _ALIGNMENT_MAPS + " Every sample's reads mapped to this one assembly; each "
                          "BAM is one coverage column.",
        "depth": "Instead of alignment_maps: mean depth (reads per base) of every contig in each sample, "
                 "samples x contigs, matched to the contigs by name. Import a MetaBAT "
                 "jgi_summarize_bam_contig_depths file or a 'contigname' TSV (VAMB, strobealign --aemb) "
                 "with --input-format ContigDepthTableFormat. Give neither to bin by composition alone.",
    },
    parameter_descriptions=_params.parameter_descriptions(),
    output_descriptions=_OUTPUT_DESCRIPTIONS,
    name="Bin one co-assembly into MAGs using GenomeFace, with every sample's coverage.",
    description="Bins the contigs of one assembly with the depths of many samples (the case GenomeFace "
                "was built for): from each sample's alignment map, or from a depth table. The outputs "
                "and parameters are those of 'bin', with the assembly's id as the one sample.",
    citations=_BIN_CITES,
    examples={"bin_coassembly": _examples.bin_coassembly},
)

plugin.methods.register_function(
    function=_params.with_parameters(_actions.evaluate, _actions.EVALUATE_KEYWORDS),
    inputs={"mags": SampleData[MAGs], "alignment_maps": SampleData[AlignmentMap]},
    parameters=_params.parameters(_actions.EVALUATE_KEYWORDS),
    outputs=[("quality", ImmutableMetadata)],
    input_descriptions={
        "mags": "MAGs, e.g. from 'bin', 'bin-coassembly' or q2-mag's binners.",
        "alignment_maps": "Optional, for the mean_depth column: reads-to-contig alignment maps (BAM) of the "
                          "assemblies the MAGs were binned from, one per sample, paired with the MAGs by "
                          "sample id; sorted or not.",
    },
    parameter_descriptions=_params.parameter_descriptions(_actions.EVALUATE_KEYWORDS),
    output_descriptions={
        "quality": "Per MAG (id = MAG id): sample_id, contigs, size_bp, n50_bp, gc, mean_depth (with "
                   "alignment_maps), and marker-gene completeness and contamination (%). Usable as metadata "
                   "of summarize, filter-mags and dereplicate-mags.",
    },
    name="Estimate MAG quality from 40 universal single-copy marker genes.",
    description="Calls genes on each MAG's contigs and searches them for 40 universal single-copy marker "
                "genes, as genomeface's binning does, and tabulates completeness and contamination with "
                "each MAG's size, N50, GC fraction and, given alignment maps, its length-weighted mean "
                "depth (MetaBAT's depth rules).",
    citations=_BIN_CITES,  # the same gene calling, marker set and (with maps) BAM depths as binning
)

plugin.visualizers.register_function(
    function=_summarize.summarize,
    inputs={"mags": SampleData[MAGs], "quality": ImmutableMetadata},
    parameters={},
    input_descriptions={"mags": "MAGs, e.g. from 'bin' or 'bin-coassembly'.",
                        "quality": "Their quality table: the 'quality' output of 'evaluate' on these MAGs."},
    parameter_descriptions={},
    name="Visualize MAG quality.",
    description="Per sample: marker-gene completeness vs contamination (point area ~ MAG size, colour ~ "
                "GC) and, where the table has mean_depth, GC vs depth; then the table of every MAG.",
    citations=[citations["lettich2024genomeface"]],
)

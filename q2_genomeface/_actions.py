"""``qiime genomeface bin``, ``bin-coassembly`` and ``evaluate``: thin shells over the engine.

Artifacts are turned into the files the engine reads (a FASTA path, sorted and
indexed BAMs in a temporary folder, or a ``contigname`` depth TSV), and its
result into q2-mag's outputs.  No binning logic lives here.

``bin`` is a literal swap for q2-mag's ``bin-contigs-metabat``
(q2_mag/plugin_setup.py in bokulich-lab/q2-mag; the code in
q2_annotate/metabat2/metabat2.py of bokulich-lab/q2-annotate d321127, before
the move): the same inputs (``contigs: SampleData[Contigs]``,
``alignment_maps: SampleData[AlignmentMap]``), samples paired the same way
(contig sample ids from ``ContigSequencesDirFmt.sample_dict()``, map sample ids
``Path(fp).stem.rsplit("_alignment", 1)[0]``, the two sets must be equal), each
sample binned on its own, the same three outputs in the same order (``mags``,
``contig_map``, ``unbinned_contigs``) and q2-mag's names for the shared
parameters (``num_threads``, ``seed``, ``min_contig``, ``min_cls_size``;
:mod:`._params`).

``unbinned_contigs`` holds what MetaBAT's ``bin.unbinned.fa`` holds, the only
file q2-annotate's ``_process_sample`` keeps: contigs long enough to bin
(>= ``min_contig``) that no bin took.  MetaBAT writes the shorter ones to
``bin.tooShort.fa``, which q2-mag drops.

The quality table is ``evaluate``'s (any ``SampleData[MAGs]``): the engine's
40-marker estimate and bin statistics (:func:`genomeface_core.cut.bins.name_bins`).
"""

import hashlib
import os
import tempfile
import uuid

import pandas as pd
import qiime2

from ._types import BAMDirFmt, ContigSequencesDirFmt, MultiMAGSequencesDirFmt, bam_sample_dict

#: quality metadata columns (after the MAG id), as genomeface_core.cut.bins.BIN_COLUMNS names them;
#: ``mean_depth`` only when evaluate is given alignment maps
QUALITY_COLUMNS = ("sample_id", "contigs", "size_bp", "n50_bp", "gc", "mean_depth", "completeness",
                   "contamination")
#: q2-mag's words (q2_annotate/metabat2/metabat2.py ``_bin_contigs_metabat``), which MOSHPIT's
#: Nextflow pipeline greps for to skip a sample (bokulich-lab/nf-moshpit modules/contig_binning.nf:
#: exit 125 "No MAGs were formed during binning")
NO_MAGS = "No MAGs were formed during binning, please check your inputs."


def mag_id(sample: str, contigs: list[str]) -> str:
    """A stable UUID4-form MAG id from the sample and the member contigs: the same bin gives
    the same id, and samples whose assemblers reuse contig names (``k141_0`` in every
    sample) still get distinct ids.

    >>> mag_id("s1", ["c1", "c2"]) == mag_id("s1", ["c2", "c1"]) != mag_id("s2", ["c1", "c2"])
    True
    """
    digest = hashlib.sha256(("genomeface\0" + sample + "\0" + "\n".join(sorted(contigs))).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _relabel(exc, labels: dict):
    """The engine's InputError with the temporary file it names replaced by the input's label."""
    from genomeface_core.errors import InputError
    label = labels.get(exc.path, exc.path) if exc.path is not None else None
    problem = exc.problem
    if label is not None and label.endswith("(alignment_maps)") and "BAM header" in problem:
        problem += " (is this BAM mapped to another assembly?)"
    return InputError(label, problem)


def _prepare_bam(src: str, label: str, dst: str, threads: int) -> str:
    """A coordinate-sorted, indexed copy (or link) of ``src`` at ``dst``.

    Sorted when the header does not say ``SO:coordinate``; a header that says so over
    records that are not is an error (the file is not what it claims)."""
    import pysam
    from genomeface_core.errors import InputError
    try:
        with pysam.AlignmentFile(src, "rb", check_sq=False) as af:
            so = af.header.to_dict().get("HD", {}).get("SO", "unknown")
    except (OSError, ValueError) as exc:
        raise InputError(label, f"cannot open as BAM ({exc})") from None
    try:
        if so == "coordinate":
            os.symlink(src, dst)
        else:
            pysam.sort("-@", str(max(1, threads)), "-o", dst, src)
        pysam.index(dst)
    except pysam.SamtoolsError as exc:
        why = str(exc).strip().splitlines()[-1] if str(exc).strip() else "samtools failed"
        if so == "coordinate":
            raise InputError(label, f"the header says SO:coordinate but the records are not in coordinate "
                                    f"order ({why}); sort it (qiime assembly sort-alignment-maps)") from None
        raise InputError(label, f"cannot sort and index ({why})") from None
    return dst


def _depth_tsv(depth: pd.DataFrame, path: str) -> str:
    """Write a samples x contigs table as the ``contigname`` TSV genomeface reads."""
    table = depth.T  # contigs x samples
    table.index.name = "contigname"
    table.to_csv(path, sep="\t", float_format="%.9g")
    return path


class _Outputs:
    """The three outputs, filled one sample at a time."""

    def __init__(self):
        self.mags = MultiMAGSequencesDirFmt()
        self.unbinned = ContigSequencesDirFmt()
        self.contig_map: dict[str, list[str]] = {}
        self.manifest = ["sample-id,mag-id,filename"]

    def add(self, sample: str, contigs, binnable: list[str], bins: dict[str, list[str]]) -> None:
        """Write one sample's MAGs and its unbinned contigs: those of ``binnable`` (the contigs of
        >= min_contig bp, in input order) in no bin."""
        from genomeface_core.io.fasta import format_fasta
        index = {n: i for i, n in enumerate(contigs.names)}
        if bins:
            os.makedirs(os.path.join(str(self.mags), sample))
        for members in bins.values():
            mid = mag_id(sample, members)
            rel = f"{sample}/{mid}.fasta"
            with open(os.path.join(str(self.mags), rel), "wb") as fh:
                fh.write(format_fasta(members, [contigs.seqs[index[c]] for c in members]))
            self.manifest.append(f"{sample},{mid},{rel}")
            self.contig_map[mid] = list(members)
        binned = {c for members in bins.values() for c in members}
        rest = [n for n in binnable if n not in binned]
        # every sample gets its file, empty when all its binnable contigs are binned (q2-mag's
        # metabat2.py writes none then, and a run where that happens in every sample fails the
        # format's validation)
        with open(os.path.join(str(self.unbinned), f"{sample}_contigs.fa"), "wb") as fh:
            fh.write(format_fasta(rest, [contigs.seqs[index[c]] for c in rest]))

    def finish(self, n_samples: int, params: dict):
        from genomeface_core.errors import InputError
        if not self.contig_map:
            raise InputError(None, f"{NO_MAGS} (no MAG of >= {params['min_bin_size']} bp in any of the "
                                   f"{n_samples} sample(s), binning contigs of >= {params['min_contig_length']} "
                                   "bp; lower min_cls_size?)")
        with open(os.path.join(str(self.mags), "MANIFEST"), "w") as fh:
            fh.write("\n".join(self.manifest) + "\n")
        return self.mags, self.contig_map, self.unbinned


def _bin_one(sample: str, fasta: str, labels: dict, bams: list[str], depth: str | None, params: dict, out: _Outputs):
    """Bin one assembly with the engine and add its MAGs / unbinned contigs to ``out``."""
    import genomeface_core
    from genomeface_core.errors import InputError
    from genomeface_core.io.fasta import read_fasta
    try:
        contigs = read_fasta(fasta)
        binnable = [n for n, ln in zip(contigs.names, contigs.lengths) if ln >= params["min_contig_length"]]
        if len(binnable) < 2:  # the engine needs two; such a sample simply has no MAG
            print(f"genomeface: sample {sample}: {len(binnable)} contig(s) of >= {params['min_contig_length']} "
                  "bp, no MAG")
            out.add(sample, contigs, binnable, {})
            return
        result = genomeface_core.bin(fasta, coverage=depth, bams=bams or None, outdir=None, **params)
    except InputError as exc:
        raise _relabel(exc, labels) from None
    print(f"genomeface: sample {sample}: {len(result.bins)} MAG(s) from {len(result.names)} contigs")
    out.add(sample, contigs, result.names, result.bins)  # result.names: the contigs the length filter kept


def bin(contigs: ContigSequencesDirFmt, alignment_maps: BAMDirFmt, params: dict
        ) -> (MultiMAGSequencesDirFmt, dict, ContigSequencesDirFmt):
    """Bin each sample's contigs with that sample's reads-to-contigs alignment map."""
    from genomeface_core.errors import InputError
    fastas = contigs.sample_dict()
    maps = bam_sample_dict(alignment_maps)
    if set(fastas) != set(maps):  # q2-mag's _assert_samples message
        raise InputError(None, "Contigs and alignment maps should belong to the same sample set. You provided "
                               f"contigs for samples: {','.join(fastas)} but maps for samples: "
                               f"{','.join(maps)}. Please check your inputs and try again.")
    out = _Outputs()
    with tempfile.TemporaryDirectory(prefix="q2-genomeface-") as tmp:
        jobs = []
        for sample, fasta in fastas.items():  # every BAM first: a bad one fails before any binning
            labels = {fasta: f"{os.path.basename(fasta)} (contigs)"}
            # named <sample>.bam: the engine records BAM basenames as the sample names
            bam = os.path.join(tmp, f"{sample}.bam")
            labels[bam] = f"{os.path.basename(maps[sample])} (alignment_maps)"
            jobs.append((sample, fasta, labels, [_prepare_bam(maps[sample], labels[bam], bam, params["threads"])]))
        for sample, fasta, labels, bams in jobs:
            _bin_one(sample, fasta, labels, bams, None, params, out)
    return out.finish(len(fastas), params)


def bin_coassembly(contigs: ContigSequencesDirFmt, alignment_maps: BAMDirFmt = None, depth: pd.DataFrame = None,
                   params: dict = None) -> (MultiMAGSequencesDirFmt, dict, ContigSequencesDirFmt):
    """Bin one assembly with the coverage of every sample (alignment maps or a depth table)."""
    from genomeface_core.errors import InputError
    fastas = contigs.sample_dict()
    if len(fastas) != 1:
        raise InputError(None, f"a co-assembly is one assembly, but contigs hold {len(fastas)} "
                               f"({', '.join(fastas)}); bin per-sample assemblies with 'qiime genomeface bin'")
    if alignment_maps is not None and depth is not None:
        raise InputError(None, "give alignment_maps or depth, not both")
    (assembly, fasta), = fastas.items()
    labels = {fasta: f"{os.path.basename(fasta)} (contigs)"}
    out = _Outputs()
    with tempfile.TemporaryDirectory(prefix="q2-genomeface-") as tmp:
        bams, tsv = [], None
        if alignment_maps is not None:
            for sample, src in bam_sample_dict(alignment_maps).items():
                bam = os.path.join(tmp, f"{sample}.bam")
                labels[bam] = f"{os.path.basename(src)} (alignment_maps)"
                bams.append(_prepare_bam(src, labels[bam], bam, params["threads"]))
        if depth is not None:
            tsv = _depth_tsv(depth, os.path.join(tmp, "depth.tsv"))
            labels[tsv] = "depth (FeatureTable[Frequency])"
        _bin_one(assembly, fasta, labels, bams, tsv, params, out)
    return out.finish(1, params)


#: the table keywords ``evaluate`` takes: how markers are called, and threads
EVALUATE_KEYWORDS = ("markers_mode", "threads")


def _read_mag(path: str, label: str):
    from genomeface_core.errors import InputError
    from genomeface_core.io.fasta import read_fasta
    try:
        return read_fasta(path)
    except InputError as exc:
        raise _relabel(exc, {path: label}) from None


def evaluate(mags: MultiMAGSequencesDirFmt, alignment_maps: BAMDirFmt = None, params: dict = None
             ) -> qiime2.Metadata:
    """Per MAG: its size, N50 and GC, marker-gene completeness and contamination, and its mean
    depth when alignment maps are given; what genomeface_core.bin's table says of a bin made of
    the same contigs (the same gene calls and :func:`genomeface_core.cut.bins.name_bins`)."""
    import numpy as np
    from genomeface_core.cut.bins import name_bins
    from genomeface_core.errors import InputError
    from genomeface_core.io.bam import read_bam_depths
    from genomeface_core.markers import find_markers
    per_sample = {s: m for s, m in mags.sample_dict().items() if m}
    if not per_sample:
        raise InputError("mags", "holds no MAG")
    maps = bam_sample_dict(alignment_maps) if alignment_maps is not None else None
    if maps is not None and set(per_sample) - set(maps):
        lost = sorted(set(per_sample) - set(maps))
        raise InputError("alignment_maps", f"lack the sample(s) {','.join(lost)} of the MAGs (maps for samples: "
                                           f"{','.join(maps)})")
    threads = params["threads"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="q2-genomeface-") as tmp:
        for sample, files in per_sample.items():
            names, seqs, labels, ids = [], [], [], {}
            for i, (mid, path) in enumerate(files.items()):
                contigs = _read_mag(path, f"{sample}/{os.path.basename(path)} (mags)")
                names += contigs.names
                seqs += contigs.seqs
                labels += [i] * len(contigs.names)
                ids[i] = mid
            print(f"genomeface: sample {sample}: marker genes of {len(files)} MAG(s), {len(names)} contigs")
            counts = find_markers(seqs, threads=threads, mode=params["markers_mode"])
            depth = np.zeros(len(names))
            if maps is not None:
                label = f"{os.path.basename(maps[sample])} (alignment_maps)"
                bam = _prepare_bam(maps[sample], label, os.path.join(tmp, f"{sample}.bam"), threads)
                try:
                    depth = read_bam_depths([bam], names, [len(s) for s in seqs], threads=threads)[:, 0]
                except InputError as exc:
                    raise _relabel(exc, {bam: label}) from None
            # each MAG is one cluster, named by its id; min_bin_size 0: every MAG gets its row
            _, _, table = name_bins(np.array(labels), names, seqs, counts, depth, min_bin_size=0, prefix="",
                                    cluster_names=ids)
            columns = [c for c in QUALITY_COLUMNS[1:] if maps is not None or c != "mean_depth"]
            rows += [{"id": r["bin"], "sample_id": sample, **{c: r[c] for c in columns}} for r in table]
    return qiime2.Metadata(pd.DataFrame(rows).set_index("id"))

"""Semantic types and formats of the ``genomeface`` QIIME 2 plugin.

Each is taken from ``q2_types`` when the installed q2-types defines it;
otherwise a compatible definition with the same name, pathspec and on-disk
layout as current q2-types is made here, and :func:`register` registers only
those made here.  Artifacts therefore keep their type and format names across
q2-types versions.  Debian's q2-types 2022.11 defines none of them.

Matched against qiime2/q2-types (2024.10 .. 2026):
``q2_types/per_sample_sequences/{_types,_formats}.py`` and its
``_deferred_setup/{__init__,_transformers}.py``, ``q2_types/feature_data_mag/_formats.py``,
``q2_types/feature_map/_formats.py``, ``q2_types/metadata/_formats.py``.

============================  ===========================  ===========================================
type                          directory format             layout (inside ``data/``)
============================  ===========================  ===========================================
SampleData[Contigs]           ContigSequencesDirFmt        ``<sample>_contigs.fa`` (or ``<sample>.fasta``), one per sample
FeatureData[Contig]           ContigSequencesDirFmt        the same; q2-assembly's co-assembly writes ``all_contigs.fa``
SampleData[AlignmentMap]      BAMDirFmt                    ``<sample>_alignment.bam``, one per sample
SampleData[MAGs]              MultiMAGSequencesDirFmt      ``<sample>/<uuid4>.fasta`` + ``MANIFEST`` (sample-id,mag-id,filename)
FeatureData[MAG]              MAGSequencesDirFmt           ``<uuid4>.fasta``, one per MAG
FeatureMap[MAGtoContigs]      MAGtoContigsDirFmt           ``mag-to-contigs.json``: {uuid4: [contig, ...]}
ImmutableMetadata             ImmutableMetadataDirectoryFormat  ``metadata.tsv`` (QIIME 2 metadata)
============================  ===========================  ===========================================

``AlignmentMap % Properties("sorted")`` (what q2-assembly's ``map-reads``
writes after ``sort-alignment-maps``) is the same format; properties need no
registration.  Depths can also be a standard ``FeatureTable[Frequency]``
(samples x contigs, mean depth per base); :class:`ContigDepthTableFormat`
(always ours: q2-types has no such format) lets a MetaBAT / VAMB /
strobealign depth TSV be imported as one.
"""

import json
import os
import re
from uuid import UUID

import qiime2
from qiime2.plugin import SemanticType, ValidationError, model
from q2_types.feature_data import DNAFASTAFormat, FeatureData
from q2_types.sample_data import SampleData

#: names of the types/formats defined (and so registered) by this plugin
OWN: set[str] = set()

_UUID4 = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"


def _stem_id(name: str, suffix: str) -> str:
    """Sample id of a per-sample file: the name without extension and ``suffix``, as
    q2-types' ``FileDictMixin``/``sample_dict`` derive it.

    >>> _stem_id("samp1_contigs.fa", "_contigs"), _stem_id("all_contigs.fasta", "_contigs")
    ('samp1', 'all')
    >>> _stem_id("samp1.fasta", "_contigs"), _stem_id("samp1_alignment.bam", "_alignment")
    ('samp1', 'samp1')
    """
    stem = name.rsplit(".", 1)[0]
    return stem[:-len(suffix)] if stem.endswith(suffix) and len(stem) > len(suffix) else stem


# --- semantic types -------------------------------------------------------------
try:  # q2_types/per_sample_sequences/_types.py
    from q2_types.per_sample_sequences import AlignmentMap, Contigs, MAGs
except ImportError:
    MAGs = SemanticType("MAGs", variant_of=SampleData.field["type"])
    Contigs = SemanticType("Contigs", variant_of=SampleData.field["type"])
    AlignmentMap = SemanticType("AlignmentMap", variant_of=[SampleData.field["type"], FeatureData.field["type"]])
    OWN.update({"MAGs", "Contigs", "AlignmentMap"})
try:  # q2_types/feature_data_mag/_types.py
    from q2_types.feature_data_mag import MAG, Contig
except ImportError:
    MAG = SemanticType("MAG", variant_of=FeatureData.field["type"])
    Contig = SemanticType("Contig", variant_of=FeatureData.field["type"])
    OWN.update({"MAG", "Contig"})
try:  # q2_types/feature_map/_types.py
    from q2_types.feature_map import FeatureMap, MAGtoContigs
except ImportError:
    FeatureMap = SemanticType("FeatureMap", field_names="type")
    MAGtoContigs = SemanticType("MAGtoContigs", variant_of=FeatureMap.field["type"])
    OWN.update({"FeatureMap", "MAGtoContigs"})
try:  # q2_types/metadata/_types.py
    from q2_types.metadata import ImmutableMetadata
except ImportError:
    ImmutableMetadata = SemanticType("ImmutableMetadata")
    OWN.add("ImmutableMetadata")


# --- contigs: SampleData[Contigs] and FeatureData[Contig] -----------------------
try:
    from q2_types.per_sample_sequences import ContigSequencesDirFmt
except ImportError:
    class ContigSequencesDirFmt(model.DirectoryFormat):
        """One FASTA per sample; q2-types 2026 pathspec (accepts the older ``<id>_contigs.fa`` too)."""
        pathspec = r"[^\.].+\.(fasta|fa)$"

        sequences = model.FileCollection(pathspec, format=DNAFASTAFormat)

        @sequences.set_path_maker
        def sequences_path_maker(self, sample_id):
            # the name both the 2022-2024 (``_contigs`` required) and 2026 pathspecs accept
            return "%s_contigs.fa" % sample_id

        def sample_dict(self, relative=False):
            """Sample id -> FASTA path (absolute unless ``relative``), sorted by id."""
            pattern = re.compile(self.pathspec)
            ids = {}
            for path in self.path.iterdir():
                if pattern.match(path.name):
                    p = path.absolute()
                    ids[_stem_id(path.name, "_contigs")] = str(p.relative_to(self.path.absolute()) if relative else p)
            return dict(sorted(ids.items()))

    OWN.add("ContigSequencesDirFmt")


# --- alignment maps: SampleData[AlignmentMap] -----------------------------------
try:
    from q2_types.per_sample_sequences import BAMDirFmt, BAMFormat
except ImportError:
    _BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

    class BAMFormat(model.BinaryFileFormat):
        """A BAM file.  q2-types runs ``samtools quickcheck -v``; the same checks
        (BGZF magic, readable header, the BGZF end-of-file block) are made with pysam here,
        so no samtools binary is needed."""

        def _validate_(self, level):
            import pysam
            with open(str(self), "rb") as fh:
                head = fh.read(4)
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - len(_BGZF_EOF)))
                tail = fh.read()
            if head[:2] != b"\x1f\x8b":
                raise ValidationError(f"{self.path.name} is not a BAM file (no BGZF header)")
            if tail != _BGZF_EOF:
                raise ValidationError(f"{self.path.name} is truncated (no BGZF end-of-file block)")
            try:
                with pysam.AlignmentFile(str(self), "rb", check_sq=False):
                    pass
            except (OSError, ValueError) as exc:
                raise ValidationError(f"{self.path.name} is not a readable BAM file ({exc})") from None

    class BAMDirFmt(model.DirectoryFormat):
        bams = model.FileCollection(r".+\.bam", format=BAMFormat)

        @bams.set_path_maker
        def bams_path_maker(self, sample_id):
            return "%s.bam" % sample_id

    OWN.update({"BAMFormat", "BAMDirFmt"})


def bam_sample_dict(maps) -> dict[str, str]:
    """Sample id -> BAM path of a ``BAMDirFmt``, named as q2-mag names them:
    ``Path(fp).stem.rsplit("_alignment", 1)[0]`` (q2_mag/metabat2/metabat2.py ``_assert_samples``)."""
    out = {}
    for p in sorted(maps.path.iterdir()):
        if p.name.endswith(".bam"):
            out[p.name[:-4].rsplit("_alignment", 1)[0]] = str(p.absolute())
    return out


# --- MAGs: SampleData[MAGs] ---------------------------------------------------
try:
    from q2_types.per_sample_sequences import (MultiFASTADirectoryFormat, MultiMAGManifestFormat,
                                               MultiMAGSequencesDirFmt)
except ImportError:
    class MultiMAGManifestFormat(model.TextFileFormat):
        """``sample-id,mag-id,filename`` CSV (filename relative to the folder), as in q2-types."""
        EXPECTED_HEADER = ["sample-id", "mag-id", "filename"]

        def _validate_(self, level):
            n = {"min": 10, "max": None}[level]
            records = 0
            header = None
            with self.open() as fh:
                for i, line in enumerate(fh, 1):
                    if n is not None and i > n:
                        break
                    if not line.strip() or line.startswith("#"):
                        continue
                    cells = [c.strip() for c in line.rstrip("\n").split(",")]
                    if header is None:
                        if cells != self.EXPECTED_HEADER:
                            raise ValidationError(f"Found header on line {i} with the following labels: "
                                                  f"{cells}, expected: {self.EXPECTED_HEADER}")
                        header = cells
                    elif len(cells) != len(header):
                        raise ValidationError(f"Line {i} has {len(cells)} cells ({cells}), expected {len(header)}.")
                    else:
                        records += 1
            if header is None:
                raise ValidationError(f"No header found, expected: {self.EXPECTED_HEADER}.")
            if records == 0:
                raise ValidationError("No sample records found in manifest, only observed comments, "
                                      "blank lines, and/or a header row.")

    class _MultiDirValidationMixin:
        def _validate_(self, level):
            for p in self.path.iterdir():
                if not p.name.startswith(".") and not p.is_dir() and p.name != "MANIFEST":
                    raise ValidationError("Files should be organised in per-sample directories")

    class MultiFASTADirectoryFormat(_MultiDirValidationMixin, model.DirectoryFormat):
        pathspec = r".+\.(fa|fasta)$"
        sequences = model.FileCollection(pathspec, format=DNAFASTAFormat)

        @sequences.set_path_maker
        def sequences_path_maker(self, sample_id, mag_id):
            return "%s/%s.fasta" % (sample_id, mag_id)

        def sample_dict(self, relative=False):
            """Sample id -> {MAG id -> FASTA path}, both levels sorted by id."""
            pattern = re.compile(self.pathspec)
            ids = {}
            for d in sorted(self.path.iterdir()):
                if not d.is_dir():
                    continue
                mags = {}
                for p in d.iterdir():
                    if pattern.match(p.name):
                        a = p.absolute()
                        mags[os.path.splitext(p.name)[0]] = str(a.relative_to(self.path.absolute()) if relative else a)
                ids[d.name] = dict(sorted(mags.items()))
            return ids

    class MultiMAGSequencesDirFmt(MultiFASTADirectoryFormat):
        manifest = model.File("MANIFEST", format=MultiMAGManifestFormat)

    OWN.update({"MultiMAGManifestFormat", "MultiFASTADirectoryFormat", "MultiMAGSequencesDirFmt"})


# --- FeatureData[MAG] -----------------------------------------------------------
try:
    from q2_types.feature_data_mag import MAGSequencesDirFmt
except ImportError:
    class MAGSequencesDirFmt(model.DirectoryFormat):
        pathspec = r"^%s\.(fa|fasta)$" % _UUID4

        sequences = model.FileCollection(pathspec, format=DNAFASTAFormat)

        @sequences.set_path_maker
        def sequences_path_maker(self, mag_id):
            return "%s.fasta" % mag_id

        def feature_dict(self, relative=False):
            """MAG id -> FASTA path (absolute unless ``relative``), sorted by id."""
            pattern = re.compile(self.pathspec)
            ids = {}
            for path in self.path.iterdir():
                if pattern.match(path.name):
                    p = path.absolute()
                    ids[path.stem] = str(p.relative_to(self.path.absolute()) if relative else p)
            return dict(sorted(ids.items()))

    OWN.add("MAGSequencesDirFmt")


# --- FeatureMap[MAGtoContigs] ---------------------------------------------------
try:
    from q2_types.feature_map import MAGtoContigsDirFmt, MAGtoContigsFormat
except ImportError:
    class MAGtoContigsFormat(model.TextFileFormat):
        """JSON object: MAG uuid4 -> non-empty list of contig names."""

        def _validate_(self, level):
            with self.path.open("r") as fh:
                try:
                    data = json.load(fh)
                except json.JSONDecodeError as exc:
                    raise ValidationError(f"not JSON: {exc}") from None
            if not isinstance(data, dict):
                raise ValidationError("expected a JSON object of MAG id -> list of contigs")
            items = list(data.items())
            for _id, contigs in items[:1] if level == "min" else items:
                try:
                    UUID(_id, version=4)
                except ValueError:
                    raise ValidationError("MAG IDs must be valid UUID version 4 sequences. "
                                          f'Found "{_id}", which is invalid.') from None
                if not isinstance(contigs, list):
                    raise ValidationError("Values corresponding to MAG IDs must be lists of "
                                          f'contigs. Found "{type(contigs)}" for MAG "{_id}".')
                if not contigs:
                    raise ValidationError("Only non-empty MAGs are allowed. The list of "
                                          f'contigs for MAG "{_id}" is empty.')

    MAGtoContigsDirFmt = model.SingleFileDirectoryFormat(
        "MAGtoContigsDirFmt", "mag-to-contigs.json", MAGtoContigsFormat)
    OWN.update({"MAGtoContigsFormat", "MAGtoContigsDirFmt"})


# --- ImmutableMetadata ----------------------------------------------------------
try:
    from q2_types.metadata import ImmutableMetadataDirectoryFormat, ImmutableMetadataFormat
except ImportError:
    class ImmutableMetadataFormat(model.TextFileFormat):
        def _validate_(self, level):
            try:
                qiime2.Metadata.load(str(self))
            except qiime2.metadata.MetadataFileError as exc:
                raise ValidationError(str(exc)) from None

    ImmutableMetadataDirectoryFormat = model.SingleFileDirectoryFormat(
        "ImmutableMetadataDirectoryFormat", "metadata.tsv", ImmutableMetadataFormat)
    OWN.update({"ImmutableMetadataFormat", "ImmutableMetadataDirectoryFormat"})


# --- contig depth table (import format for FeatureTable[Frequency]) -------
class ContigDepthTableFormat(model.TextFileFormat):
    """Per-contig mean depth, one column per sample, as ``genomeface bin -a`` reads it:
    MetaBAT ``jgi_summarize_bam_contig_depths`` output, or a TSV whose first
    column is ``contigname`` (VAMB, ``strobealign --aemb``).  Plain or gzip."""

    def _validate_(self, level):
        from genomeface_core.errors import InputError
        from genomeface_core.io.coverage import read_coverage
        try:
            read_coverage(str(self))
        except InputError as exc:
            raise ValidationError(exc.problem) from None


_FORMATS = (ContigSequencesDirFmt, BAMFormat, BAMDirFmt, MultiMAGManifestFormat, MultiFASTADirectoryFormat,
            MultiMAGSequencesDirFmt, MAGSequencesDirFmt, MAGtoContigsFormat, MAGtoContigsDirFmt,
            ImmutableMetadataFormat, ImmutableMetadataDirectoryFormat)
_TYPES = (MAGs, Contigs, AlignmentMap, MAG, Contig, FeatureMap, MAGtoContigs, ImmutableMetadata)


def register(plugin) -> None:
    """Register with ``plugin`` the types, formats and transformers defined here, and the depth import."""
    import biom
    import pandas as pd
    from q2_types.feature_table import BIOMV210Format

    plugin.register_formats(ContigDepthTableFormat, *[f for f in _FORMATS if f.__name__ in OWN])
    own_types = [t for t in _TYPES if t.name in OWN]
    if own_types:
        plugin.register_semantic_types(*own_types)
    # type -> format, as q2_types/*/_deferred_setup/__init__.py registers them
    classes = [
        ("MAGs", SampleData[MAGs], MultiMAGSequencesDirFmt, "MAGs of each sample, one FASTA per MAG."),
        ("Contigs", SampleData[Contigs], ContigSequencesDirFmt, "Contigs of each sample's assembly."),
        ("AlignmentMap", SampleData[AlignmentMap], BAMDirFmt, "Reads-to-contigs alignments (BAM), one per sample."),
        ("MAG", FeatureData[MAG], MAGSequencesDirFmt, "Metagenome-assembled genomes, one FASTA file per MAG."),
        ("Contig", FeatureData[Contig], ContigSequencesDirFmt, "Contigs of an assembly."),
        ("MAGtoContigs", FeatureMap[MAGtoContigs], MAGtoContigsDirFmt, "MAG id -> the contigs it contains."),
        ("ImmutableMetadata", ImmutableMetadata, ImmutableMetadataDirectoryFormat, "Immutable sample or feature metadata."),
    ]
    for name, semantic_type, fmt, description in classes:
        if name in OWN:
            plugin.register_artifact_class(semantic_type, directory_format=fmt, description=description)

    if "MAGtoContigsFormat" in OWN:  # q2_types/feature_map/_deferred_setup/_transformers.py
        @plugin.register_transformer
        def _mag_map_to_dict(ff: MAGtoContigsFormat) -> dict:
            with ff.open() as fh:
                return json.load(fh)

        @plugin.register_transformer
        def _dict_to_mag_map(data: dict) -> MAGtoContigsFormat:
            ff = MAGtoContigsFormat()
            with ff.open() as fh:
                json.dump(data, fh)
            return ff

    if "MultiMAGManifestFormat" in OWN:  # q2_types/per_sample_sequences/_deferred_setup/_transformers.py _20
        @plugin.register_transformer
        def _manifest_to_df(ff: MultiMAGManifestFormat) -> pd.DataFrame:
            df = pd.read_csv(str(ff), header=0, comment="#")
            df.filename = df.filename.apply(lambda f: os.path.join(ff.path.parent, f))
            return df.set_index(["sample-id", "mag-id"])

    if "ImmutableMetadataFormat" in OWN:  # q2_types/metadata/_deferred_setup/_transformers.py
        @plugin.register_transformer
        def _md_from_fmt(ff: ImmutableMetadataFormat) -> qiime2.Metadata:
            return qiime2.Metadata.load(str(ff))

        @plugin.register_transformer
        def _md_to_fmt(md: qiime2.Metadata) -> ImmutableMetadataFormat:
            ff = ImmutableMetadataFormat()
            md.save(str(ff.path))
            return ff

    @plugin.register_transformer
    def _depth_to_biom(ff: ContigDepthTableFormat) -> BIOMV210Format:
        # FeatureTable[Frequency] is BIOMV210DirFmt, a single-file directory of BIOMV210Format
        from genomeface_core.io.coverage import read_coverage
        cov = read_coverage(str(ff))
        table = biom.Table(cov.depths.astype("float64"), observation_ids=cov.names, sample_ids=cov.samples)
        out = BIOMV210Format()
        with out.open() as fh:
            table.to_hdf5(fh, generated_by="genomeface")
        return out

"""Semantic types and formats of ``qiime genomeface bin``.

Each is taken from ``q2_types`` when it defines it; otherwise a compatible
definition with the same name and on-disk layout as newer q2-types
(2024.5 .. 2025.4, ``qiime2/q2-types``) is made here, and ``register(plugin)``
registers only those made here.  Artifacts therefore keep their type and
format names across q2-types versions:

====================  ==========================  =============================================
type                  directory format            layout (inside ``data/``)
====================  ==========================  =============================================
FeatureData[Contig]   ContigSequencesDirFmt       ``<id>_contigs.fasta`` (or ``.fa``), >= 1
FeatureData[MAG]      MAGSequencesDirFmt          ``<uuid4>.fasta`` (or ``.fa``), one per MAG
FeatureMap[MAGtoContigs]  MAGtoContigsDirFmt      ``mag-to-contigs.json``: {uuid4: [contig, ...]}
ImmutableMetadata     ImmutableMetadataDirectoryFormat  ``metadata.tsv`` (QIIME 2 metadata)
====================  ==========================  =============================================

Depths are a standard ``FeatureTable[Frequency]`` (samples x contigs, mean
depth per base); :class:`ContigDepthTableFormat` (always ours: q2-types has no
such format) lets a MetaBAT / VAMB / strobealign depth TSV be imported as one.
"""

import json
import re
from uuid import UUID

import qiime2
from qiime2.plugin import SemanticType, ValidationError, model
from q2_types.feature_data import DNAFASTAFormat, FeatureData

#: names of the types/formats defined (and so registered) by this plugin
OWN: set[str] = set()

# --- FeatureData[MAG] ------------------------------------------------------
try:
    from q2_types.feature_data_mag import MAG, MAGSequencesDirFmt
except ImportError:
    MAG = SemanticType("MAG", variant_of=FeatureData.field["type"])

    class MAGSequencesDirFmt(model.DirectoryFormat):
        pathspec = (r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-"
                    r"[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\.(fa|fasta)$")

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

    OWN.update({"MAG", "MAGSequencesDirFmt"})

# --- FeatureData[Contig] ---------------------------------------------------
try:
    from q2_types.per_sample_sequences import ContigSequencesDirFmt
except ImportError:
    class ContigSequencesDirFmt(model.DirectoryFormat):
        pathspec = r"[^\.].+_contigs.(fasta|fa)$"

        sequences = model.FileCollection(pathspec, format=DNAFASTAFormat)

        @sequences.set_path_maker
        def sequences_path_maker(self, sample_id):
            return "%s_contigs.fasta" % sample_id

        def sample_dict(self, relative=False):
            """Sample id -> FASTA path (absolute unless ``relative``), sorted by id."""
            pattern = re.compile(self.pathspec)
            ids = {}
            for path in self.path.iterdir():
                if pattern.match(path.name):
                    p = path.absolute()
                    ids[path.stem.rsplit("_contigs", 1)[0]] = str(
                        p.relative_to(self.path.absolute()) if relative else p)
            return dict(sorted(ids.items()))

    OWN.add("ContigSequencesDirFmt")
try:
    from q2_types.feature_data_mag import Contig
except ImportError:
    Contig = SemanticType("Contig", variant_of=FeatureData.field["type"])
    OWN.add("Contig")

# --- FeatureMap[MAGtoContigs] ----------------------------------------------
try:
    from q2_types.feature_map import FeatureMap, MAGtoContigs, MAGtoContigsDirFmt, MAGtoContigsFormat
except ImportError:
    FeatureMap = SemanticType("FeatureMap", field_names="type")
    MAGtoContigs = SemanticType("MAGtoContigs", variant_of=FeatureMap.field["type"])

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
    OWN.update({"FeatureMap", "MAGtoContigs", "MAGtoContigsFormat", "MAGtoContigsDirFmt"})

# --- ImmutableMetadata -----------------------------------------------------
try:
    from q2_types.metadata import (ImmutableMetadata, ImmutableMetadataDirectoryFormat,
                                   ImmutableMetadataFormat)
except ImportError:
    ImmutableMetadata = SemanticType("ImmutableMetadata")

    class ImmutableMetadataFormat(model.TextFileFormat):
        def _validate_(self, level):
            try:
                qiime2.Metadata.load(str(self))
            except qiime2.metadata.MetadataFileError as exc:
                raise ValidationError(str(exc)) from None

    ImmutableMetadataDirectoryFormat = model.SingleFileDirectoryFormat(
        "ImmutableMetadataDirectoryFormat", "metadata.tsv", ImmutableMetadataFormat)
    OWN.update({"ImmutableMetadata", "ImmutableMetadataFormat", "ImmutableMetadataDirectoryFormat"})


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


def register(plugin) -> None:
    """Register with ``plugin`` the types/formats defined here, and the depth import."""
    import biom
    from q2_types.feature_table import BIOMV210Format

    formats = [ContigDepthTableFormat] + [f for f in (
        MAGSequencesDirFmt, ContigSequencesDirFmt, MAGtoContigsFormat, MAGtoContigsDirFmt,
        ImmutableMetadataFormat, ImmutableMetadataDirectoryFormat) if f.__name__ in OWN]
    plugin.register_formats(*formats)
    own_types = [t for t in (MAG, Contig, FeatureMap, MAGtoContigs, ImmutableMetadata) if t.name in OWN]
    if own_types:
        plugin.register_semantic_types(*own_types)
    if OWN & {"MAG", "MAGSequencesDirFmt"}:
        plugin.register_artifact_class(FeatureData[MAG], directory_format=MAGSequencesDirFmt,
                                       description="Metagenome-assembled genomes, one FASTA file per MAG.")
    if "Contig" in OWN:
        plugin.register_artifact_class(FeatureData[Contig], directory_format=ContigSequencesDirFmt,
                                       description="Contigs of an assembly.")
    if "MAGtoContigs" in OWN:
        plugin.register_artifact_class(FeatureMap[MAGtoContigs], directory_format=MAGtoContigsDirFmt,
                                       description="MAG id -> the contigs it contains.")
    if "ImmutableMetadata" in OWN:
        plugin.register_artifact_class(ImmutableMetadata, directory_format=ImmutableMetadataDirectoryFormat,
                                       description="Immutable sample or feature metadata.")

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

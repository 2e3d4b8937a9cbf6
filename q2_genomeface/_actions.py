"""``qiime genomeface bin``: a thin shell over :func:`genomeface_core.bin`.

Artifacts are turned into the files ``genomeface_core.bin`` reads (a FASTA
path, a ``contigname`` depth TSV), and its result into artifacts.  No binning
logic lives here.
"""

import hashlib
import json
import os
import shutil
import tempfile
import uuid

import pandas as pd
import qiime2

from ._types import (ContigSequencesDirFmt, ImmutableMetadataDirectoryFormat, MAGSequencesDirFmt,
                     MAGtoContigsDirFmt)


def mag_id(contigs: list[str]) -> str:
    """A stable UUID4-form id for a MAG: the same member contigs give the same id.

    >>> mag_id(["c1", "c2"]) == mag_id(["c2", "c1"])
    True
    """
    digest = hashlib.sha256(("genomeface\0" + "\n".join(sorted(contigs))).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _contigs_fasta(contigs: ContigSequencesDirFmt, tmp: str) -> str:
    """Path of one FASTA with all contigs (the single file itself when there is one)."""
    files = sorted(str(p) for p in contigs.path.iterdir() if p.is_file() and not p.name.startswith("."))
    if len(files) == 1:
        return files[0]
    path = os.path.join(tmp, "contigs.fasta")
    with open(path, "wb") as out:
        for f in files:
            with open(f, "rb") as fh:
                shutil.copyfileobj(fh, out)
            out.write(b"\n")
    return path


def _depth_tsv(depth: pd.DataFrame, tmp: str) -> str:
    """Write a samples x contigs table as the ``contigname`` TSV genomeface reads."""
    path = os.path.join(tmp, "depth.tsv")
    table = depth.T  # contigs x samples
    table.index.name = "contigname"
    table.to_csv(path, sep="\t", float_format="%.9g")
    return path


def bin(contigs: ContigSequencesDirFmt, depth: pd.DataFrame = None, min_contig_length: int = 1500,
        min_bin_size: int = 200_000, threads: int = 1, seed: int = 0, composition: str = "linear",
        abundance: str = "raw", abundance_weight: float = None, neighbours: int = 16, knn: str = "auto", device: str = "cpu",
        min_purity: float = 0.85, prefix: str = "bin",
        ) -> (MAGSequencesDirFmt, MAGtoContigsDirFmt, ImmutableMetadataDirectoryFormat):
    """Bin ``contigs`` (with optional samples x contigs mean ``depth``) by genomeface_core.bin().

    Returns the MAGs (one FASTA per bin, named by :func:`mag_id`), the MAG -> contigs map and
    the per-MAG quality table.  Bad input raises genomeface_core.InputError (one line).
    """
    import genomeface_core
    from genomeface_core.errors import InputError

    with tempfile.TemporaryDirectory(prefix="q2-genomeface-") as tmp:
        fasta = _contigs_fasta(contigs, tmp)
        tsv = _depth_tsv(depth, tmp) if depth is not None else None
        out = os.path.join(tmp, "out")
        try:
            result = genomeface_core.bin(
                fasta, coverage=tsv, outdir=out, min_contig_length=min_contig_length,
                min_bin_size=min_bin_size, composition=composition, abundance=abundance,
                abundance_weight=abundance_weight,
                k=neighbours, knn=knn, device=device, threads=threads, seed=seed, min_purity=min_purity,
                prefix=prefix)
        except InputError as exc:  # name the input, not the temporary file
            labels = {fasta: "contigs (FeatureData[Contig])"}
            if tsv is not None:
                labels[tsv] = "depth (FeatureTable[Frequency])"
            label = labels.get(exc.path, exc.path) if exc.path is not None else None
            raise InputError(label, exc.problem) from None
        if not result.bins:
            raise InputError(None, f"no bin of >= {min_bin_size} bp was found among {len(result.names)} "
                                   f"contigs of >= {min_contig_length} bp (lower min-bin-size?)")

        ids = {name: mag_id(members) for name, members in result.bins.items()}
        mags = MAGSequencesDirFmt()
        for name, mid in ids.items():
            shutil.copyfile(os.path.join(out, "bins", f"{name}.fna"), os.path.join(str(mags), f"{mid}.fasta"))

        contig_map = MAGtoContigsDirFmt()
        with open(os.path.join(str(contig_map), "mag-to-contigs.json"), "w") as fh:
            json.dump({ids[name]: members for name, members in result.bins.items()}, fh, indent=1)

    table = pd.DataFrame(result.table).set_index("bin")
    table.insert(0, "bin", table.index)
    table.index = pd.Index([ids[b] for b in table.index], name="id")
    quality = ImmutableMetadataDirectoryFormat()
    qiime2.Metadata(table).save(os.path.join(str(quality), "metadata.tsv"))
    return mags, contig_map, quality

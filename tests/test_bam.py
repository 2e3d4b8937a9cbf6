"""read_bam_depths vs MetaBAT's jgi_summarize_bam_contig_depths on real sequences.

Contigs are cut from real genomes shipped with pyrodigal's tests; paired reads
are simulated from the *uncut* genomes (so some span contig breaks and align
as supplementary / clipped records), with ~15% of reads carrying 3-6% errors
(below the 97% identity cut-off).  Reads are mapped with ``minimap2 -ax sr``;
sample 2 uses ``--eqx`` so the ``=``/``X`` CIGAR rules are exercised too.  A
few records get duplicate / QC-fail flags, and a few are made to hang over
their contig's end (MetaBAT's ``fixEndClip`` path).

Further BAMs (built with tests/bam_fixtures.py from /work/shared/genomes):
75 and 250 bp wgsim pairs, one sample 3'-trimmed so that MetaBAT's running
mean read length drifts along the file; HiFi-like long reads mapped with
minimap2 -ax map-hifi; and records with > 65,535 CIGAR operations, which BAM
stores in the ``CG`` tag.  Depth means and ``-var`` variances are compared with
jgi_summarize_bam_contig_depths on each.
"""
from __future__ import annotations

import array
import gzip
import pathlib
import shutil
import struct
import subprocess
import time

import numpy as np
import pysam
import pytest

from genomeface_core.errors import InputError
from genomeface_core.io.bam import read_bam_depths

from bam_fixtures import (map_sort_index, metabat, metabat_arrays, long_reads, read_fastq, require_tools,
                          shared_genome, wgsim_pairs, write_fasta, write_fastq)

TOOLS = ("minimap2", "samtools", "jgi_summarize_bam_contig_depths")
READ_LEN = 150
_COMP = bytes.maketrans(b"ACGTN", b"TGCAN")


def _require_tools():
    require_tools(*TOOLS)


def _pyrodigal_fasta(name: str) -> bytes:
    pyrodigal = pytest.importorskip("pyrodigal")
    path = pathlib.Path(pyrodigal.__file__).parent / "tests" / "data" / name
    if not path.exists():
        pytest.skip(f"pyrodigal test data missing: {path}")
    with gzip.open(path, "rt") as fh:
        seq = "".join(line.strip() for line in fh if not line.startswith(">"))
    return seq.upper().encode()


def _mutate(seq: bytes, rate: float, rng: np.random.Generator) -> bytes:
    """READ_LEN bases of ``seq`` with substitutions (80%) and 1-2 bp indels (20%)."""
    out = bytearray()
    k = 0
    while len(out) < READ_LEN and k < len(seq):
        if rng.random() < rate:
            u = rng.random()
            if u < 0.8:                                  # substitution
                out.append(b"ACGT"[(b"ACGT".index(seq[k]) + rng.integers(1, 4)) % 4]
                           if seq[k] in b"ACGT" else ord("A"))
                k += 1
            elif u < 0.9:                                # insertion
                out.extend(b"ACGT"[j] for j in rng.integers(0, 4, size=rng.integers(1, 3)))
            else:                                        # deletion
                k += int(rng.integers(1, 3))
        else:
            out.append(seq[k])
            k += 1
    return bytes(out[:READ_LEN])


def _simulate_pairs(genomes: list[bytes], depth: list[float], rng, prefix: str):
    """Paired 150 bp reads from whole genomes at the given fold coverage."""
    r1, r2 = [], []
    for g, (genome, cov) in enumerate(zip(genomes, depth)):
        n_pairs = int(cov * len(genome) / (2 * READ_LEN))
        frag = np.clip(rng.normal(350, 50, n_pairs).astype(int), 200, 600)
        start = rng.integers(0, len(genome) - frag)
        bad = rng.random(n_pairs) < 0.15
        for k in range(n_pairs):
            s, f = int(start[k]), int(frag[k])
            rate = rng.uniform(0.03, 0.06) if bad[k] else 0.004
            fwd = genome[s:s + f]
            rev = fwd.translate(_COMP)[::-1]
            if rng.random() < 0.5:
                fwd, rev = rev, fwd
            name = f"{prefix}g{g}_{k}"
            r1.append((name, _mutate(fwd + b"A" * 10, rate, rng)))
            r2.append((name, _mutate(rev + b"A" * 10, rate, rng)))
    return r1, r2


def _tweak_and_index(raw_bam: pathlib.Path, out_bam: pathlib.Path, rng):
    """Flag ~3% records duplicate / QC-fail, push a few over their contig end, index."""
    with pysam.AlignmentFile(raw_bam, "rb") as src, \
            pysam.AlignmentFile(out_bam, "wb", template=src) as dst:
        overhang = 0
        for rec in src:
            u = rng.random()
            if u < 0.02:
                rec.flag |= 0x400
            elif u < 0.03:
                rec.flag |= 0x200
            elif (not rec.is_unmapped and overhang < 8 and rec.cigartuples[-1][0] in (0, 7)
                  and rec.cigartuples[-1][1] >= 30
                  and 0 <= src.get_reference_length(rec.reference_name) - rec.reference_end <= 2):
                # ...kM ending g <= 2 bp before the contig end -> ...(k-4)M(g+2)D3M1S (or =), which
                # ends 1 bp past it: MetaBAT's fixEndClip soft-clips from the 3M on.  (The
                # crossing op must not be the last one: MetaBAT 2.15 asserts out on that.)
                g = src.get_reference_length(rec.reference_name) - rec.reference_end
                op, k = rec.cigartuples[-1]
                rec.cigartuples = rec.cigartuples[:-1] + [(op, k - 4), (2, g + 2), (op, 3), (4, 1)]
                rec.set_tag("NM", (rec.get_tag("NM") if rec.has_tag("NM") else 0) + g + 2)
                overhang += 1
            dst.write(rec)
    subprocess.run(["samtools", "index", str(out_bam)], check=True)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    _require_tools()
    tmp = tmp_path_factory.mktemp("bam")
    rng = np.random.default_rng(20240611)
    genomes = [_pyrodigal_fasta("MIIJ01000039.fna.gz")[100_000:170_000],
               _pyrodigal_fasta("SRR492066.fna.gz")[:60_000],
               _pyrodigal_fasta("KK037166.fna.gz")]
    # Contigs: mostly 2-30 kb, plus a few tiny ones around the 2*75+1 edge rule.
    names, seqs = [], []
    for g, genome in enumerate(genomes):
        pos, k = 0, 0
        tiny = [100, 151, 152, 300] if g == 0 else []
        while pos < len(genome):
            size = tiny.pop(0) if tiny and k % 2 == 1 else int(rng.integers(2_000, 30_000))
            piece = genome[pos:pos + size]
            pos += size
            if len(piece) < 80:
                continue
            names.append(f"g{g}_ctg{k}")
            seqs.append(piece)
            k += 1
    fasta = tmp / "contigs.fna"
    with open(fasta, "w") as fh:
        for n, s in zip(names, seqs):
            fh.write(f">{n}\n{s.decode()}\n")

    bams = []
    for sample, (depth, extra) in enumerate([([16.0, 6.0, 24.0], []),
                                             ([4.0, 20.0, 10.0], ["--eqx"])]):
        r1, r2 = _simulate_pairs(genomes, depth, rng, f"s{sample}")
        fq1, fq2 = tmp / f"s{sample}_1.fq", tmp / f"s{sample}_2.fq"
        write_fastq(fq1, r1)
        write_fastq(fq2, r2)
        raw = tmp / f"s{sample}.raw.bam"
        mm = subprocess.Popen(["minimap2", "-ax", "sr", "-t", "2", *extra, str(fasta), str(fq1), str(fq2)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        subprocess.run(["samtools", "sort", "-@", "1", "-o", str(raw), "-"], stdin=mm.stdout,
                       check=True, stderr=subprocess.DEVNULL)
        assert mm.wait() == 0
        bam = tmp / f"sample{sample}.bam"
        _tweak_and_index(raw, bam, rng)
        bams.append(bam)
    return {"tmp": tmp, "names": names, "lengths": [len(s) for s in seqs], "bams": bams}


def _metabat(dataset, out_name: str, args: list[str]) -> dict[str, np.ndarray]:
    return {name: means for name, (means, _) in metabat(dataset["bams"], dataset["tmp"] / out_name, args).items()}


@pytest.mark.parametrize("kwargs,args", [
    ({}, []),
    ({"min_identity": 0.95, "min_mapq": 10, "trim": 40},
     ["--percentIdentity", "95", "--minMapQual", "10", "--maxEdgeBases", "40"]),
    ({"trim": 0}, ["--includeEdgeBases"]),
], ids=["defaults", "id95-mq10-edge40", "include-edges"])
def test_matches_metabat(dataset, kwargs, args):
    ref = _metabat(dataset, f"depth_{len(args)}.txt", args)
    t0 = time.perf_counter()
    got = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"], **kwargs)
    elapsed = time.perf_counter() - t0
    exp = np.array([ref[n] for n in dataset["names"]])
    assert got.dtype == np.float32 and got.shape == (len(dataset["names"]), 2)
    assert (exp > 1).sum() >= 10, "simulation should give most contigs real depth"
    rel = np.abs(got - exp) / np.maximum(np.abs(exp), 1e-3)
    print(f"{kwargs}: {got.size} values, max rel diff {rel.max():.2e}, {elapsed:.2f} s")
    # MetaBAT prints 6 significant digits; anything beyond that is our bug.
    np.testing.assert_allclose(got, exp, rtol=5e-6, atol=1e-5)


def test_high_depth_contig_and_csi_index_match_metabat(tmp_path):
    """A contig whose integer depth total passes 2**24 (float32 sums stop being exact), CSI-indexed.

    Records are written directly (150M alignments, NM 0-5 in every BAM integer
    type, after other tags, so identity cuts some) rather than mapped: 150k
    reads is too many to map within a test's budget.
    """
    _require_tools()
    rng = np.random.default_rng(5)
    lengths = {"deep": 12_000, "shallow": 3_000}
    header = pysam.AlignmentHeader.from_dict(
        {"HD": {"VN": "1.6", "SO": "coordinate"},
         "SQ": [{"SN": n, "LN": ln} for n, ln in lengths.items()]})
    raw = tmp_path / "deep.bam"
    with pysam.AlignmentFile(raw, "wb", header=header) as out:
        for tid, (name, n_reads) in enumerate([("deep", 150_000), ("shallow", 300)]):
            # 2 bp short of the end, so the reads with a 2 bp deletion stay on the contig
            starts = np.sort(rng.integers(0, lengths[name] - READ_LEN - 1, n_reads))
            nms = rng.integers(0, 6, n_reads)
            seq = "".join(rng.choice(list("ACGT"), READ_LEN))
            for k, (st, nm) in enumerate(zip(starts, nms)):
                rec = pysam.AlignedSegment(header)
                rec.query_name, rec.flag = f"{name}{k}", 16 * int(k % 2)
                rec.reference_id, rec.reference_start, rec.mapping_quality = tid, int(st), 60
                rec.cigarstring = f"{READ_LEN}M" if k % 7 else "70M2D80M"
                rec.query_sequence = seq
                # tags to skip before NM, and NM stored as each integer type BAM allows
                if k % 3 == 0:
                    rec.set_tag("XZ", "some text", value_type="Z")
                if k % 5 == 0:
                    rec.set_tag("XB", array.array("i", [1, 2, 3]))
                rec.set_tag("NM", int(nm) + (0 if k % 7 else 2), value_type="CcSsIi"[k % 6])
                out.write(rec)
    bai = tmp_path / "bai.bam"
    shutil.copy(raw, bai)
    subprocess.run(["samtools", "index", "-c", str(raw)], check=True)
    subprocess.run(["samtools", "index", str(bai)], check=True)
    assert (tmp_path / "deep.bam.csi").exists() and not (tmp_path / "deep.bam.bai").exists()
    ref = tmp_path / "depth.txt"
    subprocess.run(["jgi_summarize_bam_contig_depths", "--outputDepth", str(ref), str(raw)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = {f[0]: float(f[3]) for f in (ln.split("\t") for ln in ref.read_text().splitlines()[1:])}
    names = list(lengths)
    got = read_bam_depths([raw, bai], names, list(lengths.values()), threads=2)
    exp = np.array([rows[n] for n in names])
    assert exp[0] * (lengths["deep"] - 150) > 2 ** 24, "the deep contig must pass float32's exact range"
    np.testing.assert_allclose(got[:, 0], exp, rtol=5e-6, atol=1e-5)
    np.testing.assert_array_equal(got[:, 0], got[:, 1])


def test_zlib_fallback_matches_libdeflate(dataset, monkeypatch):
    """Without the ``deflate`` package BGZF blocks are inflated by zlib: same depths."""
    import genomeface_core.io.bam as bam_mod
    a = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"], threads=2)
    monkeypatch.setattr(bam_mod, "_libdeflate", None)
    b = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"], threads=2)
    np.testing.assert_array_equal(a, b)


def test_tiny_buffers_match(dataset, monkeypatch):
    """Read buffers smaller than a BGZF block and batches smaller than a record give the same depths."""
    import genomeface_core.io.bam as bam_mod
    a = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"])
    monkeypatch.setattr(bam_mod, "_READ_BYTES", 100)
    monkeypatch.setattr(bam_mod, "_BATCH_BYTES", 200)
    b = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"])
    np.testing.assert_array_equal(a, b)


def test_stale_index_raises(dataset, tmp_path):
    """An index made for another BAM (its offsets point into the middle of records) is caught."""
    bam = tmp_path / "stale.bam"
    shutil.copy(dataset["bams"][0], bam)
    shutil.copy(str(dataset["bams"][1]) + ".bai", str(bam) + ".bai")
    with pytest.raises(InputError) as err:
        read_bam_depths([bam], dataset["names"], dataset["lengths"])
    assert err.value.path == str(bam) and "stale index" in str(err.value)


@pytest.mark.parametrize("threads", [1, 2])
def test_index_of_a_shorter_bam_raises(dataset, tmp_path, threads):
    """An index made for a prefix of this BAM (same header, same first blocks) points at record
    boundaries of this one, so only its record counts and its end offset give it away."""
    bam, prefix = tmp_path / "full.bam", tmp_path / "prefix.bam"
    with pysam.AlignmentFile(dataset["bams"][0]) as fin:
        keep = fin.nreferences // 2
        with pysam.AlignmentFile(bam, "wb", template=fin) as full, \
                pysam.AlignmentFile(prefix, "wb", template=fin) as part:
            for rec in fin:
                full.write(rec)
                if 0 <= rec.reference_id < keep:
                    part.write(rec)
    subprocess.run(["samtools", "index", str(prefix)], check=True)
    shutil.copy(str(prefix) + ".bai", str(bam) + ".bai")
    with pytest.raises(InputError) as err:
        read_bam_depths([bam], dataset["names"], dataset["lengths"], threads=threads)
    assert err.value.path == str(bam) and "stale index" in str(err.value)


def _edit_bai(src: pathlib.Path, dst: pathlib.Path, edit) -> None:
    """Copy a BAI, passing each reference's bins ``{bin: [(beg, end), ...]}`` through ``edit(tid, bins)``."""
    raw = src.read_bytes()
    out = [raw[:4], raw[4:8]]
    p = 8
    for tid in range(struct.unpack_from("<i", raw, 4)[0]):
        bins = {}
        (n_bin,), p = struct.unpack_from("<i", raw, p), p + 4
        for _ in range(n_bin):
            b, n_chunk = struct.unpack_from("<Ii", raw, p)
            bins[b] = [struct.unpack_from("<QQ", raw, p + 8 + 16 * c) for c in range(n_chunk)]
            p += 8 + 16 * n_chunk
        (n_intv,) = struct.unpack_from("<i", raw, p)
        intv, p = raw[p:p + 4 + 8 * n_intv], p + 4 + 8 * n_intv
        bins = edit(tid, bins)
        out.append(struct.pack("<i", len(bins)))
        for b, chunks in bins.items():
            out.append(struct.pack("<Ii", b, len(chunks)) + b"".join(struct.pack("<QQ", *c) for c in chunks))
        out.append(intv if bins else struct.pack("<i", 0))
    dst.write_bytes(b"".join(out) + raw[p:])


def _with_edited_index(dataset, tmp_path, edit) -> pathlib.Path:
    bam = tmp_path / "edited.bam"
    shutil.copy(dataset["bams"][0], bam)
    _edit_bai(pathlib.Path(str(dataset["bams"][0]) + ".bai"), pathlib.Path(str(bam) + ".bai"), edit)
    return bam


def test_unedited_index_copy_reads_the_same(dataset, tmp_path):
    """The index rewriter itself changes nothing (so the tests below change only what they say)."""
    bam = _with_edited_index(dataset, tmp_path, lambda tid, bins: bins)
    assert (tmp_path / "edited.bam.bai").read_bytes() == pathlib.Path(str(dataset["bams"][0]) + ".bai").read_bytes()
    np.testing.assert_array_equal(read_bam_depths([bam], dataset["names"], dataset["lengths"]),
                                  read_bam_depths(dataset["bams"][:1], dataset["names"], dataset["lengths"]))


def test_index_record_counts_must_match(dataset, tmp_path):
    """Offsets all right, one reference's mapped-record count off by one: only the counts say so."""
    def edit(tid, bins):
        if tid == 0:
            span, (mapped, unmapped) = bins[37450]
            bins[37450] = [span, (mapped + 1, unmapped)]
        return bins
    bam = _with_edited_index(dataset, tmp_path, edit)
    with pytest.raises(InputError, match="stale index") as err:
        read_bam_depths([bam], dataset["names"], dataset["lengths"])
    assert err.value.path == str(bam)


def test_index_missing_the_last_references_records_raises(dataset, tmp_path):
    """An index that lists no records for the last reference ends on a real record boundary;
    what follows it is a placed record, not the end of the file."""
    with pysam.AlignmentFile(dataset["bams"][0]) as fh:
        last = max(k for k, s in enumerate(fh.get_index_statistics()) if s.total > 0)
    bam = _with_edited_index(dataset, tmp_path, lambda tid, bins: {} if tid == last else bins)
    with pytest.raises(InputError, match="stale index") as err:
        read_bam_depths([bam], dataset["names"], dataset["lengths"], threads=2)
    assert err.value.path == str(bam)


def test_range_ending_inside_a_block_raises(dataset):
    """A virtual end offset whose block address is not a block start is refused by the inflater."""
    import genomeface_core.io.bam as bam_mod
    path = str(dataset["bams"][0])
    with open(path, "rb") as fh:
        (bsize,) = struct.unpack_from("<H", fh.read(18), 16)
        with pytest.raises(InputError, match="stale index"):
            for _ in bam_mod._inflate(fh.fileno(), path, 0, (bsize + 1 + 1) << 16):
                pass


def test_threads_match_serial(dataset):
    """Threads split each BAM into reference ranges too (3 threads, 2 BAMs -> 5 ranges per BAM)."""
    a = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"])
    b = read_bam_depths(dataset["bams"], dataset["names"], dataset["lengths"], threads=3)
    np.testing.assert_array_equal(a, b)
    one = read_bam_depths(dataset["bams"][:1], dataset["names"], dataset["lengths"], threads=2)
    np.testing.assert_array_equal(one[:, 0], a[:, 0])
    from genomeface_core.io.bam import _inspect_bam, _split_units
    info = _inspect_bam(str(dataset["bams"][0]), dataset["names"], np.asarray(dataset["lengths"]))
    units = _split_units(info["beg"], info["end"], 5)
    assert len(units) == 5                       # the ranges really are split (and tile the references)
    assert [u[0] for u in units[1:]] == [u[1] for u in units[:-1]]


def test_rows_follow_given_order(dataset):
    names, lengths = dataset["names"], dataset["lengths"]
    base = read_bam_depths(dataset["bams"], names, lengths)
    perm = np.random.default_rng(1).permutation(len(names))
    shuffled = read_bam_depths(dataset["bams"], [names[i] for i in perm],
                               np.asarray(lengths)[perm])
    np.testing.assert_array_equal(shuffled, base[perm])
    assert not np.array_equal(shuffled, base)


def test_missing_contig_raises(dataset):
    bam = dataset["bams"][1]
    with pytest.raises(InputError) as err:
        read_bam_depths(dataset["bams"], dataset["names"] + ["not_there"],
                        dataset["lengths"] + [5000])
    assert err.value.path == str(dataset["bams"][0])
    assert "not_there" in str(err.value) and str(dataset["bams"][0]) in str(err.value)
    with pytest.raises(InputError, match="not_there"):
        read_bam_depths([bam], ["not_there"], [5000])


def test_length_mismatch_raises(dataset):
    lengths = list(dataset["lengths"])
    lengths[3] += 1
    with pytest.raises(InputError, match=dataset["names"][3]):
        read_bam_depths(dataset["bams"], dataset["names"], lengths)


def test_bad_files_raise(dataset, tmp_path):
    names, lengths = dataset["names"][:2], dataset["lengths"][:2]
    missing = tmp_path / "missing.bam"
    with pytest.raises(InputError) as err:
        read_bam_depths([missing], names, lengths)
    assert err.value.path == str(missing)

    unindexed = tmp_path / "unindexed.bam"
    shutil.copy(dataset["bams"][0], unindexed)
    with pytest.raises(InputError, match="not indexed"):
        read_bam_depths([unindexed], names, lengths)

    garbage = tmp_path / "garbage.bam"
    garbage.write_bytes(b"this is not a BAM file\n")
    with pytest.raises(InputError) as err:
        read_bam_depths([garbage], names, lengths)
    assert err.value.path == str(garbage)

    bgzf_text = tmp_path / "text.bam"           # BGZF, but not BAM inside
    with pysam.BGZFile(str(bgzf_text), "wb") as fh:
        fh.write(b">contig1\nACGT\n" * 100)
    with pytest.raises(InputError, match="not a BAM file"):
        read_bam_depths([bgzf_text], names, lengths)

    truncated = tmp_path / "truncated.bam"      # cut inside a BGZF block, index kept
    data = pathlib.Path(dataset["bams"][0]).read_bytes()
    truncated.write_bytes(data[:len(data) // 2])
    shutil.copy(str(dataset["bams"][0]) + ".bai", str(truncated) + ".bai")
    with pytest.raises(InputError, match="truncated") as err:
        read_bam_depths([truncated], dataset["names"], dataset["lengths"])
    assert err.value.path == str(truncated)


def test_cli_embed_with_bams_uses_metabat_depths(dataset, tmp_path):
    """`genomeface embed -b ...` reads the BAMs by name; depths equal MetaBAT's for kept contigs."""
    from genomeface_core.cli.main import main

    out = tmp_path / "emb.npz"
    rc = main(["-q", "embed", "-i", str(dataset["tmp"] / "contigs.fna"), "-b", *map(str, dataset["bams"]),
               "-o", str(out), "-m", "1500"])
    assert rc == 0
    z = np.load(out, allow_pickle=False)
    ref = _metabat(dataset, "cli_depth.txt", [])
    names = list(z["names"])
    assert names == [n for n, ln in zip(dataset["names"], dataset["lengths"]) if ln >= 1500]
    np.testing.assert_allclose(z["depths"], np.stack([ref[n] for n in names]), rtol=1e-4, atol=1e-6)
    assert z["abundance"].shape == (len(names), 3) and z["depths"].shape == (len(names), 2)


# --------------------------------------------------------------------------- other read lengths, long reads, CG

def _assert_matches(got: tuple[np.ndarray, np.ndarray], rows: dict, names: list[str]) -> None:
    """Means and variances equal MetaBAT's printed values (6 significant digits)."""
    exp_mean, exp_var = metabat_arrays(rows, names)
    assert (exp_mean > 1).sum() >= 10 and (exp_var > 0).sum() >= 10, "most contigs should have real depth"
    for what, g, e in (("mean", got[0], exp_mean), ("var", got[1], exp_var)):
        print(f"{what}: {g.size} values, max rel diff {(np.abs(g - e) / np.maximum(np.abs(e), 1e-3)).max():.1e}")
    np.testing.assert_allclose(got[0], exp_mean, rtol=5e-6, atol=1e-5)
    np.testing.assert_allclose(got[1], exp_var, rtol=5e-6, atol=1e-5)


def _trim_drifting(fastqs, names: list[str], read_len: int, rng) -> None:
    """3'-trim every read to 40-90% of ``read_len``, growing with its contig's position in the
    assembly (wgsim names reads ``<contig>_<start>_<end>_...``), so MetaBAT's running mean read
    length climbs along the sorted BAM and differs from contig to contig."""
    rank = {n: k / len(names) for k, n in enumerate(names)}
    for fq in fastqs:
        reads = read_fastq(fq)
        cut = [int(read_len * (0.4 + 0.5 * rank[name.rsplit("_", 5)[0]]) + rng.integers(-5, 6))
               for name, _ in reads]
        write_fastq(fq, [(name, s[:max(20, c)]) for (name, s), c in zip(reads, cut)])


@pytest.fixture(scope="module", params=[75, 250], ids=["75bp", "250bp"])
def short_reads(request, tmp_path_factory):
    """wgsim pairs of one read length on a real 1 Mb MAG (175 contigs, N50 7 kb), two samples;
    sample 1 is trimmed by :func:`_trim_drifting` and mapped with ``--eqx``."""
    require_tools("wgsim", *TOOLS)
    read_len = request.param
    tmp = tmp_path_factory.mktemp(f"sr{read_len}")
    names, seqs = map(list, zip(*shared_genome("galah__73.20110700_S2D.12.fna.gz")))
    fasta = tmp / "contigs.fna"
    write_fasta(fasta, names, seqs)
    total = sum(map(len, seqs))
    rng = np.random.default_rng(read_len)
    bams = []
    for sample, depth in enumerate([4.0, 3.0]):
        fqs = wgsim_pairs(fasta, tmp / f"s{sample}", int(depth * total / (2 * read_len)), read_len, 7 + sample)
        if sample == 1:
            _trim_drifting(fqs, names, read_len, rng)
        bams.append(map_sort_index(fasta, fqs, tmp / f"sr{read_len}_s{sample}.bam", "sr",
                                   ["--eqx"] if sample else []))
    return {"tmp": tmp, "names": names, "lengths": [len(s) for s in seqs], "bams": bams, "read_len": read_len}


@pytest.mark.parametrize("edge", ["default", "long"])
def test_short_reads_match_metabat(short_reads, edge):
    """75 and 250 bp reads: means and variances equal MetaBAT's, with 1 thread (one pass, the
    running mean read length applied as it goes) and 3 (reference ranges read in parallel, the
    ones whose edge was guessed wrong read again).  'long' asks for edges longer than the trimmed
    reads (0.8 x read length), so the edge is the running mean in every contig."""
    d = short_reads
    trim = 75 if edge == "default" else int(0.8 * d["read_len"])
    rows = metabat(d["bams"], d["tmp"] / f"depth_{edge}.txt", ["--maxEdgeBases", str(trim)])
    for threads in (1, 3):
        got = read_bam_depths(d["bams"], d["names"], d["lengths"], trim=trim, threads=threads, with_variance=True)
        assert got[0].shape == got[1].shape == (len(d["names"]), 2) and got[1].dtype == np.float32
        _assert_matches(got, rows, d["names"])
    assert np.array_equal(got[0], read_bam_depths(d["bams"], d["names"], d["lengths"], trim=trim, threads=3))


def test_running_read_length_is_metabats(short_reads):
    """The edge is MetaBAT's running mean read length at each contig's trigger record, not one
    mean per BAM: on the drifting sample the edges MetaBAT used take several values."""
    import genomeface_core.io.bam as bam_mod
    d = short_reads
    trim = int(0.8 * d["read_len"])
    b = bam_mod._inspect_bam(str(d["bams"][1]), d["names"], np.asarray(d["lengths"]))
    n = len(b["ref_lengths"])
    mean, var, seen, edge = (np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.int64),
                             np.full(n, -1, np.int64))
    u = bam_mod._split_units(b["beg"], b["end"], 1)[0]
    bam_mod._read_unit(b["path"], u[2], u[3], u[0], u[1], b["ref_lengths"], trim, -1, 0, np.float32(0.97),
                       False, mean, var, seen, edge, np.full((n, 2), -1, np.int64), np.zeros(6, np.int64))
    used = edge[edge >= 0]
    assert len(np.unique(used)) >= 5 and used.max() - used.min() >= 0.2 * trim


@pytest.fixture(scope="module")
def long_read_bams(tmp_path_factory):
    """HiFi-like 5-20 kb reads simulated from a whole 706 kb genome (Blochmannia floridanus) cut into
    15-120 kb contigs (reads over the cuts align split and clipped); sample 1 mapped with --eqx."""
    require_tools(*TOOLS)
    tmp = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(3)
    genome = shared_genome("pyani__GCF_000043285.1_ASM4328v1_genomic.fna.gz")[0][1]
    names, seqs, pos = [], [], 0
    while pos < len(genome):
        size = int(rng.integers(15_000, 120_000))
        names.append(f"ctg{len(names)}")
        seqs.append(genome[pos:pos + size])
        pos += size
    fasta = tmp / "contigs.fna"
    write_fasta(fasta, names, seqs)
    bams = []
    for sample, depth in enumerate([6.0, 3.0]):
        fq = tmp / f"long{sample}.fq"
        write_fastq(fq, long_reads(genome, depth, rng, f"s{sample}r"))
        bams.append(map_sort_index(fasta, [fq], tmp / f"long{sample}.bam", "map-hifi", ["--eqx"] if sample else []))
    return {"tmp": tmp, "names": names, "lengths": [len(s) for s in seqs], "bams": bams}


@pytest.mark.parametrize("threads", [1, 2])
def test_long_reads_match_metabat(long_read_bams, threads):
    d = long_read_bams
    rows = metabat(d["bams"], d["tmp"] / "depth.txt")
    with pysam.AlignmentFile(d["bams"][0]) as fh:
        assert any(r.is_supplementary for r in fh), "reads over contig cuts should align split"
    _assert_matches(read_bam_depths(d["bams"], d["names"], d["lengths"], threads=threads, with_variance=True),
                    rows, d["names"])


def _bam_records(path: pathlib.Path):
    """(read name, n_cigar, raw record) of every record, straight from the BAM bytes (pysam would
    already have moved a CG tag into the CIGAR)."""
    raw = gzip.decompress(path.read_bytes())
    (l_text,) = struct.unpack_from("<i", raw, 4)
    p = 8 + l_text
    (n_ref,) = struct.unpack_from("<i", raw, p)
    p += 4
    for _ in range(n_ref):
        p += 8 + struct.unpack_from("<i", raw, p)[0]
    while p < len(raw):
        (size,) = struct.unpack_from("<i", raw, p)
        rec = raw[p + 4:p + 4 + size]
        yield rec[32:32 + rec[8] - 1].decode(), struct.unpack_from("<H", rec, 12)[0], rec
        p += 4 + size


def _ultra_long(name: str, ref: str, start: int, unit: list[tuple[int, str]], repeats: int,
                flag: int = 0) -> str:
    """SAM line of a read at ``start`` (0-based) whose CIGAR is ``unit`` repeated; its SEQ follows
    the reference (X: another base, I: an inserted A) and NM counts X, I and D bases."""
    comp = {"A": "C", "C": "G", "G": "T", "T": "A"}
    seq, cig, r, nm = [], [], start, 0
    for _ in range(repeats):
        for ln, op in unit:
            cig.append(f"{ln}{op}")
            if op in "M=":
                seq.append(ref[r:r + ln])
                r += ln
            elif op == "X":
                seq.append("".join(comp.get(c, "A") for c in ref[r:r + ln]))
                r += ln
                nm += ln
            elif op == "I":
                seq.append("A" * ln)
                nm += ln
            elif op == "D":
                r += ln
                nm += ln
    return "\t".join([name, str(flag), "big", str(start + 1), "60", "".join(cig), "*", "0", "0",
                      "".join(seq), "*", f"NM:i:{nm}"]) + "\n"


def test_cigar_in_cg_tag_matches_metabat(tmp_path):
    """Ultra-long alignments with > 65,535 CIGAR ops: samtools stores them as the placeholder
    ``<len>S<span>N`` plus the real CIGAR in CG:B,I, which htslib (so MetaBAT) moves back; the
    reader does the same.  Read with the placeholder they would add no depth at all."""
    require_tools(*TOOLS)
    genome = shared_genome("amgma__NC_000913.3.fna.gz")[0][1].decode()     # E. coli K-12, 4.6 Mb
    big, small = genome[:1_300_000], genome[2_000_000:2_030_000]
    rng = np.random.default_rng(9)
    sam = tmp_path / "ul.sam"
    lines = [_ultra_long("ul_eqx", big, 1_000, [(34, "="), (1, "X"), (34, "="), (1, "I")], 16_500),
             _ultra_long("ul_m", big, 40_000, [(34, "M"), (1, "I"), (34, "M"), (1, "D")], 16_500),
             _ultra_long("ul_dup", big, 60_000, [(34, "M"), (1, "I")], 33_000, flag=0x400),
             # 2.5% errors: below 97% identity, counted for the running read length only
             _ultra_long("ul_bad", big, 90_000, [(19, "="), (1, "X"), (19, "="), (1, "I")], 16_500)]
    # ordinary 150 bp reads on both contigs
    for ctg, seq in (("big", big), ("small", small)):
        for k, st in enumerate(rng.integers(0, len(seq) - 150, 400).tolist()):
            lines.append("\t".join([f"{ctg}{k}", "0", ctg, str(st + 1), "60", "150M", "*", "0", "0",
                                    seq[st:st + 150], "*", "NM:i:0"]) + "\n")
    with open(sam, "w") as fh:
        fh.write(f"@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:big\tLN:{len(big)}\n@SQ\tSN:small\tLN:{len(small)}\n")
        fh.writelines(lines)
    bam = tmp_path / "ul.bam"
    subprocess.run(["samtools", "sort", "-o", str(bam), str(sam)], check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["samtools", "index", str(bam)], check=True)
    stored = {name: (n_cig, b"CGBI" in rec) for name, n_cig, rec in _bam_records(bam) if name.startswith("ul")}
    assert stored == {n: (2, True) for n in ("ul_eqx", "ul_m", "ul_dup", "ul_bad")}, stored
    rows = metabat([bam], tmp_path / "depth.txt")
    names, lengths = ["big", "small"], [len(big), len(small)]
    got = read_bam_depths([bam], names, lengths, with_variance=True)
    exp_mean, exp_var = metabat_arrays(rows, names)
    np.testing.assert_allclose(got[0], exp_mean, rtol=5e-6, atol=1e-5)
    np.testing.assert_allclose(got[1], exp_var, rtol=5e-6, atol=1e-5)
    # the two kept ultra-long reads cover ~2.2 Mb of the big contig; 400 short reads only 60 kb
    assert got[0][0, 0] > 1.5


def test_coverage_table_variances_match_bam(short_reads, tmp_path):
    """read_coverage keeps a jgi table's -var columns; matched by name they equal the BAM reader's."""
    from genomeface_core.io.coverage import align_coverage, read_coverage
    d = short_reads
    table = tmp_path / "depth.txt"
    metabat(d["bams"], table)
    cov = read_coverage(table)
    assert cov.samples == [b.name for b in d["bams"]] and cov.variances.shape == cov.depths.shape
    keep = d["names"][::-1][:50]
    idx = [d["names"].index(n) for n in keep]
    means, variances = read_bam_depths(d["bams"], d["names"], d["lengths"], with_variance=True)
    np.testing.assert_allclose(align_coverage(cov, d["names"], keep, table, variances=True), variances[idx],
                               rtol=5e-6, atol=1e-5)
    np.testing.assert_allclose(align_coverage(cov, d["names"], keep, table), means[idx], rtol=5e-6, atol=1e-5)
    # --noIntraDepthVariance: every column after totalAvgDepth is a sample's mean, no variances
    plain = tmp_path / "novar.txt"
    metabat_cmd = ["jgi_summarize_bam_contig_depths", "--noIntraDepthVariance", "--outputDepth", str(plain)]
    subprocess.run([*metabat_cmd, *map(str, d["bams"])], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    cov2 = read_coverage(plain)
    assert cov2.variances is None and cov2.samples == cov.samples
    with pytest.raises(InputError, match="variance"):
        align_coverage(cov2, d["names"], keep, plain, variances=True)

"""The block-wise FASTA parser: same records as a line-by-line reading, whatever
the block size, line width, line endings and blank lines."""
import gzip

import pytest

from genomeface_core.errors import InputError
from genomeface_core.io import fasta


def _layout(names, seqs, width, crlf, blank):
    nl = "\r\n" if crlf else "\n"
    out = []
    for n, s in zip(names, seqs):
        out.append(f">{n} some description{nl}")
        text = s.decode()
        out += [text[i:i + width] + nl for i in range(0, len(text), width)]
        if blank:
            out.append(nl)
    return "".join(out)


@pytest.fixture(scope="module")
def real_contigs(mock8):
    """The first 80 contigs of the mock8 community (real genomes, fragmented)."""
    mock, _ = mock8
    return list(mock.names[:80]), list(mock.seqs[:80])


@pytest.mark.parametrize("block", [5, 64, 1000, 1 << 16])
@pytest.mark.parametrize("width,crlf,blank", [(60, False, False), (80, True, True), (10**9, False, True)])
def test_records_whatever_the_block_size(tmp_path, monkeypatch, real_contigs, block, width, crlf, blank):
    names, seqs = real_contigs
    p = tmp_path / "x.fna.gz"
    with gzip.open(p, "wt", newline="") as fh:
        fh.write(_layout(names, seqs, width, crlf, blank))
    monkeypatch.setattr(fasta, "_BLOCK", block)
    got = fasta.read_fasta(p)
    assert got.names == names
    assert got.seqs == seqs


def test_text_before_first_header_and_empty(tmp_path):
    p = tmp_path / "bad.fna"
    p.write_text("\n\nACGT\n>c1\nACGT\n")
    with pytest.raises(InputError, match="text before the first"):
        fasta.read_fasta(p)
    e = tmp_path / "empty.fna"
    e.write_text("\n \n")
    with pytest.raises(InputError, match="empty file"):
        fasta.read_fasta(e)


def test_invalid_character_and_n_only_named(tmp_path):
    p = tmp_path / "x.fna"
    p.write_text(">a\nACGTNNRY\n>b\nACGTXAC\n")
    with pytest.raises(InputError, match=r"contig 'b' has invalid character 'X'"):
        fasta.read_fasta(p)
    p.write_text(">a\nACGT\n>b\nNNNNRYn\n")
    with pytest.raises(InputError, match=r"contig 'b' has no A/C/G/T"):
        fasta.read_fasta(p)

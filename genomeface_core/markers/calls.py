"""Gene calls (Pyrodigal) and hmmsearch hits folded to one COG per protein; the exact path
(every gene of every contig searched with every HMM).
"""
from __future__ import annotations

import functools

from genomeface_core.markers.hmms import load_hmms

#: Shortest contig handed to Prodigal (shorter ones cannot hold a marker).
MIN_CONTIG_BP = 60


@functools.lru_cache(maxsize=None)
def gene_finder():
    import pyrodigal

    return pyrodigal.GeneFinder(meta=True, mask=True, closed=False)


def proteins(item: tuple[int, bytes | str]) -> tuple[int, list[tuple[str, str]]]:
    """Call genes on one contig; return its index and (name, protein) pairs."""
    idx, seq = item
    if len(seq) < MIN_CONTIG_BP:
        return idx, []
    genes = gene_finder().find_genes(seq)
    return idx, [
        (f"{idx}_{k}", gene.translate(include_stop=False))
        for k, gene in enumerate(genes)
    ]


def digitize(name: str, protein: str, alphabet):
    import pyhmmer

    return pyhmmer.easel.TextSequence(name=name.encode(), sequence=protein).digitize(alphabet)


def best_cog(hits_iter, best: dict) -> None:
    """Fold included hits into ``best``: protein name -> (score, COG) of its
    best-scoring HMM (fetchMGs assigns each protein to one COG)."""
    for hits in hits_iter:
        cog = hits.query.name
        cog = cog.decode() if isinstance(cog, bytes) else cog
        for hit in hits:
            if not hit.included:
                continue
            name = hit.name
            prev = best.get(name)
            if prev is None or hit.score > prev[0]:
                best[name] = (hit.score, cog)


def exact_batch(seqs, batch: range, pool, threads: int, bar) -> dict:
    """Exact path over one batch: genes on every contig, all HMMs on every protein."""
    import pyhmmer

    hmms = load_hmms()
    alphabet = hmms[0].alphabet
    items = ((i, seqs[i]) for i in batch)
    if pool is None:
        results = map(proteins, items)
    else:
        chunk = max(1, min(64, len(batch) // (16 * threads)))
        results = pool.imap_unordered(proteins, items, chunksize=chunk)
    block = pyhmmer.easel.DigitalSequenceBlock(alphabet)
    for _, prots in results:
        for name, prot in prots:
            block.append(digitize(name, prot, alphabet))
        bar.update(1)
    best: dict = {}
    if len(block):
        best_cog(pyhmmer.hmmsearch(hmms, block, bit_cutoffs="trusted", cpus=threads), best)
    return best



"""The 40 fetchMGs marker HMMs: files, calibrated cutoffs, the reported COG ids and the F3 gate.

See :mod:`genomeface_core.markers` for how they are used.
"""
from __future__ import annotations

import functools
import importlib.resources


#: COG searched for fetchMGs-compatible best-hit assignment but not reported.
DROPPED = ("COG0086",)


def data_dir():
    return importlib.resources.files("fetchmgs") / "data"


@functools.lru_cache(maxsize=None)
def cutoffs() -> dict[str, float]:
    text = (data_dir() / "MG_BitScoreCutoffs.allhits.txt").read_text()
    out = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 2:
            continue
        out[fields[0].strip()] = float(fields[1])
    return out


MARKER_IDS: tuple[str, ...] = tuple(sorted(c for c in cutoffs() if c not in DROPPED))
COLUMN = {cog: i for i, cog in enumerate(MARKER_IDS)}


@functools.lru_cache(maxsize=None)
def load_hmms() -> tuple:
    """All fetchMGs HMMs (incl. dropped ones) with trusted cutoffs set."""
    import pyhmmer

    hmms = []
    for cog, cutoff in sorted(cutoffs().items()):
        with (data_dir() / f"{cog}.hmm").open("rb") as fh:
            with pyhmmer.plan7.HMMFile(fh) as hf:
                hmm = hf.read()
        hmm.cutoffs.trusted = (cutoff, cutoff)
        hmms.append(hmm)
    return tuple(hmms)


def hmm_name(hmm) -> str:
    return hmm.name.decode() if isinstance(hmm.name, bytes) else hmm.name


#: Bits below the trusted cutoff at which the fast path's Forward filter stops.
GATE_BITS = 10.0


def forward_gate(hmm) -> float:
    """Forward-filter P-value threshold (hmmsearch ``F3``) at ``GATE_BITS``
    below the HMM's trusted cutoff.  A sequence's reported bit score is at
    most its (bias-filtered) Forward score up to HMMER's null2 and bias
    corrections, so a sequence stopped here could not reach the cutoff; the
    gate spares the domain postprocessing of the many paralogs (other class-I
    tRNA synthetases, GTPases) that pass HMMER's default 1e-5."""
    import math

    ev = hmm.evalue_parameters
    log_p = -ev.f_lambda * (hmm.cutoffs.trusted[0] - GATE_BITS - ev.f_tau)
    return min(1e-5, math.exp(max(log_p, -700.0)))



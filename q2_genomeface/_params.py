"""QIIME 2 parameters of the genomeface actions, generated from the engine's one table.

Every keyword in :data:`genomeface_core.params.BIN_PARAMS` becomes a QIIME 2
parameter of the binning actions (same name, except :data:`Q2_NAME`), with its
type and range (``Int % Range``, ``Float % Range``, ``Str % Choices``, ``Bool``;
a nullable keyword is optional, default ``None``) and its help as the
description, or is listed in :data:`NOT_EXPOSED` with the reason.
``tests/test_q2.py`` fails on a ``bin()`` keyword that is neither.

Where q2-mag's ``bin-contigs-metabat`` has a parameter of the same meaning, the
QIIME 2 name, range and value convention are q2-mag's, so a MOSHPIT call runs
unchanged (q2_mag/plugin_setup.py, bokulich-lab/q2-mag 2026; the same in
q2_annotate/plugin_setup.py before the move, bokulich-lab/q2-annotate d321127):
``num_threads`` (``Int % Range(0, None)``, 0 = all cores), ``min_contig``
(MetaBAT's ``-m``, minimum contig length in bp) and ``min_cls_size`` (MetaBAT's
``-s``, minimum bin size in bp).  ``seed`` keeps its name.
"""
from __future__ import annotations

import inspect
import os

from qiime2.plugin import Bool, Choices, Float, Int, Range, Str

from genomeface_core import params as gp

#: bin() keyword -> QIIME 2 parameter name: q2-mag's name where the meaning is shared,
#: a word where the keyword is not one
Q2_NAME = {"k": "neighbours", "threads": "num_threads", "min_contig_length": "min_contig",
           "min_bin_size": "min_cls_size"}

#: bin() keyword -> QIIME 2 type, where q2-mag's value convention differs from the table's
#: (q2-mag: ``"num_threads": Int % Range(0, None)``, 0 = use all cores)
Q2_TYPE = {"threads": Int % Range(0, None)}


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which cgroup cpusets and
    ``taskset`` narrow; all of ``os.cpu_count()`` where affinity is not reported)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _threads(value: int) -> int:
    """q2-mag's ``num_threads`` -> the engine's ``threads`` (>= 1): 0 means all usable cores."""
    if value == 0:
        n = usable_cores()
        print(f"genomeface: num_threads 0: using all {n} usable core(s)")
        return n
    return value


#: bin() keyword -> conversion of the QIIME 2 value into the engine's
TO_ENGINE = {"threads": _threads}

#: bin() keyword -> why the QIIME 2 actions do not take it: the engine's table's reasons, plus those
#: of :data:`PENDING_NOT_EXPOSED` that the table does not record yet
PENDING_NOT_EXPOSED: dict[str, str] = {}
NOT_EXPOSED = {**PENDING_NOT_EXPOSED, **gp.NOT_EXPOSED["q2"]}


#: bin() keywords that are not in the table (inputs, outputs, run control) -> how the actions fill them
INPUTS = {
    "contigs": "the contigs input: one sample's FASTA (bin) or the one assembly (bin-coassembly)",
    "coverage": "bin-coassembly's depth input, written as a 'contigname' TSV in a temporary folder",
    "bams": "the alignment_maps input: sorted and indexed copies in a temporary folder",
    "outdir": "None: the actions return artifacts, the engine writes no output folder",
    "force": "unused: there is no output folder to overwrite",
    "progress": "False: QIIME 2 actions draw no progress bars",
    "cache": "None: a stage-cache folder outside the artifacts would escape provenance, so every "
             "action run computes its stages",
}


def _embedding_choices(name: str) -> tuple[str, ...]:
    """The shipped, named embeddings: paths of trained models are refused for the reason
    ``markers`` is (a parameter cannot carry a file)."""
    from genomeface_core import embed
    if name == "composition":
        return (*embed.COMPOSITIONS, *embed.ENSEMBLES, *embed.FITTED, embed.AUTO)
    return ("raw", "network")


_HELP = {  # where the engine's help names what QIIME 2 does not accept (paths) or write (run.json),
         # or q2-mag's convention differs (num_threads 0, min_contig)
    "composition": "Composition embedding: auto (adaptive with one sample, linear with more: a "
                   "heuristic), linear (the shipped learned metric), adaptive (linear joined "
                   "with a metric learned from this assembly's long contigs), tnf, kmer1712, network "
                   "(the shipped composition network; needs genomeface's nn extra, TensorFlow) or "
                   "linear+network (both, concatenated).",
    "abundance": "Abundance embedding: raw (log1p depths plus a constant coordinate) or network (the "
                 "shipped co-abundance network; needs the nn extra).",
    "seed": "Seeds the random draws of composition 'adaptive' (and of 'auto' where it runs adaptive) (which long contigs and windows it learns "
            "from); with any other composition the same input gives the same bins whatever the seed. "
            "Unlike q2-mag's MetaBAT seed, 0 is not a random seed.",
    "threads": "Number of threads to use (0: use all cores this process may run on).",
    "min_contig_length": "Minimum size of a contig for binning (bp), as MetaBAT's -m: shorter contigs are "
                         "neither binned nor in unbinned_contigs.",
    "min_bin_size": "Minimum size of a bin as the output (bp), as MetaBAT's -s: the contigs of smaller "
                    "clusters are in unbinned_contigs.",
}


def _range(kind, p: gp.Param):
    if p.low is None and p.high is None:
        return kind
    cast = int if kind is Int else float
    low = None if p.low is None else cast(p.low)
    high = None if p.high is None else cast(p.high)
    kw = {"inclusive_start": not p.low_open}
    if high is not None:
        kw["inclusive_end"] = not p.high_open
    return kind % Range(low, high, **kw)


def q2_type(p: gp.Param):
    """The QIIME 2 type of one table entry."""
    if p.kind is bool:
        return Bool
    if p.kind is int:
        return _range(Int, p)
    if p.kind is float:
        return _range(Float, p)
    choices = p.choices or (_embedding_choices(p.name) if p.name in ("composition", "abundance") else None)
    return Str % Choices(list(choices)) if choices else Str


def description(p: gp.Param) -> str:
    """The table's help as a QIIME 2 description (a capitalised sentence).

    >>> description(gp.get("k"))
    'Neighbours per contig in the kNN graph.'
    >>> description(gp.get("knn"))[:11]
    'kNN search:'
    """
    text = _HELP.get(p.name, p.help)
    if not text[1:2].isupper():  # "kNN search" stays as written
        text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def exposed(keywords=None) -> list[tuple[str, gp.Param]]:
    """(QIIME 2 name, table entry) of every exposed keyword (or of those in ``keywords``), in
    table order."""
    return [(Q2_NAME.get(p.name, p.name), p) for p in gp.BIN_PARAMS
            if p.name not in NOT_EXPOSED and (keywords is None or p.name in keywords)]


def parameters(keywords=None) -> dict:
    return {name: Q2_TYPE[p.name] if p.name in Q2_TYPE else q2_type(p) for name, p in exposed(keywords)}


def parameter_descriptions(keywords=None) -> dict:
    return {name: description(p) for name, p in exposed(keywords)}


def signature_parameters(keywords=None) -> list[inspect.Parameter]:
    """Keyword-only parameters (annotated with the view type, default from the table)."""
    return [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=p.default, annotation=p.kind)
            for name, p in exposed(keywords)]


def engine_kwargs(values: dict, keywords=None) -> dict:
    """QIIME 2 parameter values -> ``genomeface_core.bin`` keywords (defaults filled in, q2-mag's
    conventions converted by :data:`TO_ENGINE`)."""
    out = {}
    for name, p in exposed(keywords):
        value = values.get(name, p.default)
        out[p.name] = TO_ENGINE[p.name](value) if p.name in TO_ENGINE else value
    return out


def with_parameters(fn, keywords=None):
    """Give ``fn(*inputs, params: dict)`` the signature QIIME 2 reads: its inputs, then every
    exposed parameter (or those of ``keywords``) as a keyword (QIIME 2 rejects ``**kwargs``)."""
    base = inspect.signature(fn)
    inputs = [q for q in base.parameters.values() if q.name != "params"]

    def action(*args, **kwargs):
        bound = inspect.Signature(inputs + signature_parameters(keywords)).bind(*args, **kwargs)
        ins = {q.name: bound.arguments.get(q.name, q.default) for q in inputs}
        return fn(**ins, params=engine_kwargs({k: v for k, v in bound.arguments.items() if k not in ins},
                                              keywords))

    action.__name__ = fn.__name__
    action.__qualname__ = fn.__qualname__
    action.__module__ = fn.__module__
    action.__doc__ = fn.__doc__
    action.__signature__ = inspect.Signature(inputs + signature_parameters(keywords),
                                             return_annotation=base.return_annotation)
    action.__annotations__ = {**{q.name: q.annotation for q in action.__signature__.parameters.values()},
                              "return": base.return_annotation}
    return action

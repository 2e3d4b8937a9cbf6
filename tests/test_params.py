"""The parameter table: every bin() keyword is in it, every entry reaches the CLI, the docs are current."""
import inspect
from pathlib import Path

import pytest

from genomeface_core import params
from genomeface_core.cli import build_parser
from genomeface_core.errors import InputError

#: bin() keywords that are inputs/outputs/run control, not parameters of the method
NOT_PARAMETERS = {"contigs", "coverage", "bams", "outdir", "force", "progress", "cache"}
DOC = Path(__file__).resolve().parents[1] / "docs" / "options.md"


def _bin_keywords() -> set[str]:
    from genomeface_core.pipeline import bin as gf_bin

    return set(inspect.signature(gf_bin).parameters)


def _cli_dests(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {a.dest for a in sub.choices[command]._actions}


def test_every_bin_keyword_is_in_the_table():
    table = {p.name for p in params.BIN_PARAMS}
    missing = _bin_keywords() - NOT_PARAMETERS - table
    assert not missing, f"bin() keywords neither in params.BIN_PARAMS nor inputs/outputs: {sorted(missing)}"
    assert not table - _bin_keywords(), "table entries that bin() does not take"


def test_table_defaults_are_bin_defaults():
    from genomeface_core.pipeline import bin as gf_bin

    sig = inspect.signature(gf_bin).parameters
    for p in params.BIN_PARAMS:
        assert sig[p.name].default == p.default, p.name


@pytest.mark.parametrize("shell", sorted(params.NOT_EXPOSED))
def test_not_exposed_names_are_table_entries_with_reasons(shell):
    for name, reason in params.NOT_EXPOSED[shell].items():
        assert name in {p.name for p in params.BIN_PARAMS} and len(reason) > 10, (shell, name)


def test_every_table_entry_is_a_cli_option_or_deliberately_not():
    dests = _cli_dests("bin")
    for p in params.BIN_PARAMS:
        exposed = p.name in dests
        assert exposed != (p.name in params.NOT_EXPOSED["cli"]), p.name


def test_cli_defaults_and_flags_come_from_the_table():
    args = build_parser().parse_args(["bin", "-i", "c.fna", "-o", "out"])
    for p in params.BIN_PARAMS:
        assert getattr(args, p.name) == p.default, p.name
    args = build_parser().parse_args(["bin", "-i", "c.fna", "-o", "out", "-k", "9", "--markers", "a.tsv", "b.tsv",
                                      "--abundance-model", "network", "--min-purity", "0.9"])
    assert (args.k, args.markers, args.abundance, args.min_purity) == (9, ["a.tsv", "b.tsv"], "network", 0.9)


def test_embed_subcommand_takes_the_embedding_parameters():
    assert set(params.get("composition").flags) and {"composition", "abundance", "abundance_weight",
                                                     "min_contig_length", "threads"} <= _cli_dests("embed")


@pytest.mark.parametrize("values,words", [
    (dict(min_purity=0), ["min_purity", "--min-purity", "(0, 1]", "got 0"]),
    (dict(min_purity=1.0001), ["min_purity", "(0, 1]"]),
    (dict(rescue_vote=-0.1), ["rescue_vote", "[0, 1]"]),
    (dict(k=0), ["k (--neighbours)", ">= 1"]),
    (dict(k=2.5), ["k", "integer"]),
    (dict(threads=True), ["threads", "integer"]),
    (dict(knn="fast"), ["knn", "auto, exact or approx", "'fast'"]),
    (dict(device="tpu"), ["device", "cpu, gpu or auto"]),
    (dict(abundance_weight=-1.0), ["abundance_weight", ">= 0"]),
    (dict(min_bin_size=None), ["min_bin_size", "must be given"]),
    (dict(markers=[]), ["markers", "at least one"]),
    (dict(markers=["a.tsv", 3]), ["markers", "string or path"]),
])
def test_validate_names_the_parameter_and_the_rule(values, words):
    with pytest.raises(InputError) as exc:
        params.validate(values)
    assert exc.value.path is None and all(w in str(exc.value) for w in words), str(exc.value)


def test_validate_accepts_defaults_and_edges():
    params.validate(params.defaults())
    params.validate(dict(min_purity=1, rescue_vote=0, rescue_vote_=5, abundance_weight=0, markers="m.tsv",
                         min_bin_size=0, k=1))


def test_options_doc_is_current():
    assert DOC.read_text() == params.options_doc(), \
        "docs/options.md is stale: python -m genomeface_core.params > docs/options.md"


def test_markers_mode_choices_are_the_engines():
    from genomeface_core.markers import DEFAULT_MODE, MARKER_MODES

    p = params.get("markers_mode")
    assert p.choices == MARKER_MODES and p.default == DEFAULT_MODE

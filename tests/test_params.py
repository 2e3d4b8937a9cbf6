"""The parameter table: every bin() keyword is in it, every entry reaches the CLI, the docs are current."""
import inspect
from pathlib import Path

import pytest

from genomeface_core import params
from genomeface_core.cli.main import build_parser
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


# --- non-finite floats: one check in the table's validation reaches every shell ----------------

FLOATS = [p for p in params.BIN_PARAMS if p.kind is float]
NON_FINITE = ("nan", "inf", "-inf")
GOOD_FASTA = ">c1\n" + "ACGTTGCAAGGCTTAA" * 200 + "\n>c2\n" + "GGCATCGATTACAGTC" * 200 + "\n"


def test_the_table_has_float_parameters():
    # min_purity, rescue_vote, max_merge_gap, abundance_weight (and whatever is appended later)
    assert {"min_purity", "rescue_vote", "max_merge_gap", "abundance_weight"} <= {p.name for p in FLOATS}


def _one_line_naming(msg: str, p: params.Param, text: str) -> None:
    assert "\n" not in msg and p.name in msg and p.flag in msg and "finite" in msg and text in msg, msg


@pytest.mark.parametrize("text", NON_FINITE)
@pytest.mark.parametrize("p", FLOATS, ids=lambda p: p.name)
def test_python_api_refuses_non_finite(tmp_path, p, text):
    """bin() refuses NaN and +-inf for every float parameter before any work: nothing written."""
    import genomeface_core

    fasta = tmp_path / "a.fna"
    fasta.write_text(GOOD_FASTA)
    with pytest.raises(InputError) as exc:
        params.validate({p.name: float(text)})
    _one_line_naming(str(exc.value), p, text)
    with pytest.raises(InputError) as exc:
        genomeface_core.bin(fasta, outdir=tmp_path / "out", **{p.name: float(text)})
    _one_line_naming(str(exc.value), p, text)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text", NON_FINITE)
@pytest.mark.parametrize("p", FLOATS, ids=lambda p: p.name)
def test_cli_refuses_non_finite(tmp_path, capsys, p, text):
    from genomeface_core.cli.main import main

    fasta = tmp_path / "a.fna"
    fasta.write_text(GOOD_FASTA)
    out = tmp_path / "out"
    # --flag=VALUE: argparse would read a separate "-inf" as an unknown option
    rc = main(["-q", "bin", "-i", str(fasta), "-o", str(out), f"{p.flag}={text}"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("genomeface: error: ") and not out.exists(), err
    _one_line_naming(err, p, text)


@pytest.mark.parametrize("text", NON_FINITE)
def test_embed_subcommand_refuses_non_finite(tmp_path, capsys, text):
    """``genomeface embed`` reaches embed_contigs without bin(): the table's check holds there too."""
    from genomeface_core.cli.main import main

    fasta = tmp_path / "a.fna"
    fasta.write_text(GOOD_FASTA)
    out = tmp_path / "e.npz"
    rc = main(["-q", "embed", "-i", str(fasta), "-o", str(out), f"--abundance-weight={text}"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and not out.exists(), err
    _one_line_naming(err, params.get("abundance_weight"), text)


def test_cli_process_refuses_nan(tmp_path):
    """The observed case (--min-purity nan was binned), as a user runs it: exit 2, one line, nothing written."""
    import subprocess
    import sys

    fasta = tmp_path / "a.fna"
    fasta.write_text(GOOD_FASTA)
    r = subprocess.run([sys.executable, "-m", "genomeface_core", "-q", "bin", "-i", str(fasta), "-o", str(tmp_path / "out"),
                        "--min-purity", "nan"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and not (tmp_path / "out").exists(), r.stderr
    assert r.stderr.strip() == "genomeface: error: min_purity (--min-purity) must be a finite number, got nan"


# --- --seed: what it changes and what it does not ----------------------------------------------

@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_range(seed):
    with pytest.raises(InputError, match=r"seed \(--seed\) must be in \[0, 4294967295\]"):
        params.validate(dict(seed=seed))


def test_seed_does_not_change_bins_outside_adaptive(mock8, mock8_markers):
    """The --seed help's claim: with a shipped composition no stage that makes bins draws from the seed."""
    from genomeface_core import bin as gf_bin

    _, paths = mock8
    runs = [gf_bin(paths["contigs"], paths["depth"], markers=mock8_markers, min_bin_size=100_000, threads=1, seed=s)
            for s in (0, 2**32 - 1)]
    assert len(runs[0].bins) >= 4 and runs[0].assignment == runs[1].assignment and runs[0].bins == runs[1].bins

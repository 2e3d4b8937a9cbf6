"""The Nextflow components, rendered as Nextflow would and run with bash.

Nextflow cannot run here, so this file renders each process of
nextflow/modules/nf-core/genomeface/* itself: the Groovy statements before the
script string (``def x = a ?: b``, ternaries, ``if (...) { error(...) }``) are
evaluated by a small interpreter of that subset, the GString is interpolated
(``${...}``, ``\\$``, ``\\\\``) and its indentation stripped, inputs are staged
under their ``stageAs`` names, and the script runs with bash against the real
``genomeface`` CLI.  Every declared output is then matched in the task folder
and every ``eval`` output (the ``versions`` topic) is run like Nextflow does.

Covered: each module's script and stub block on the bundled demo, the
subworkflow end to end (split -> markers x4 -> bin, the scatter/gather plumbing
of subworkflows/nf-core/fasta_binning_genomeface/main.nf emulated in Python;
that the scattered tables give the in-process bins is tests/test_markers_cli.py),
the container/conda/GPU selection, and the committed nf-test snapshots
(``main.nf.test.snap``), which must equal what the rendered blocks produce
(``python tests/test_nextflow_module.py --write-snapshots`` rewrites them).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "nextflow" / "modules" / "nf-core" / "genomeface"
SUBWORKFLOW = ROOT / "nextflow" / "subworkflows" / "nf-core" / "fasta_binning_genomeface"
BINDIR = Path(sys.executable).parent


# --------------------------------------------------------------------------- a Groovy-subset interpreter

class NfError(Exception):
    """``error(...)`` called in a script block."""


_TOKEN = re.compile(r"""\s*(?:(?P<num>\d+)|(?P<id>[A-Za-z_]\w*)|(?P<sq>'(?:[^'\\]|\\.)*')|(?P<dq>"(?:[^"\\]|\\.)*")
                        |(?P<op>\?:|==|!=|&&|\|\||[?:!()\[\],.]))""", re.X)


def _tokens(src: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(src):
        if not src[pos:].strip():
            break
        m = _TOKEN.match(src, pos)
        if not m:
            raise SyntaxError(f"cannot tokenise {src[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def truthy(v) -> bool:
    """Groovy truth: null, '', [], 0 and false are false."""
    return bool(v)


def render(v) -> str:
    """A value as Groovy prints it in a GString (a list of staged files: space-separated names)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (list, tuple)):
        return " ".join(render(x) for x in v)
    return str(v)


class Expr:
    """Recursive-descent evaluator: literals, names with .property, [list], !, ==, !=, &&, ||,
    ?:, a ? b : c, `in`, and GStrings with ${...}."""

    def __init__(self, src: str, env: dict):
        self.toks, self.i, self.env = _tokens(src), 0, env

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise SyntaxError(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        v = self.ternary()
        if self.i != len(self.toks):
            raise SyntaxError(f"trailing {self.toks[self.i:]}")
        return v

    def ternary(self):
        cond = self.elvis()
        if self.peek()[1] == "?":
            self.take("?")
            a = self.ternary()
            self.take(":")
            b = self.ternary()
            return a if truthy(cond) else b
        return cond

    def _chain(self, op, operand, combine):
        """operand (op operand)*, left to right."""
        v = operand()
        while self.peek()[1] == op:
            self.take()
            v = combine(v, operand())
        return v

    def elvis(self):  # right-associative, but a ?: b ?: c == (a ?: b) ?: c in value
        return self._chain("?:", self.lor, lambda v, w: v if truthy(v) else w)

    def lor(self):
        return self._chain("||", self.land, lambda v, w: truthy(v) or truthy(w))

    def land(self):
        return self._chain("&&", self.unary, lambda v, w: truthy(v) and truthy(w))

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.compare()

    def compare(self):
        v = self.postfix()
        op = self.peek()[1]
        if op in ("==", "!="):
            self.take()
            w = self.postfix()
            return (v == w) == (op == "==")
        if op == "in":
            self.take()
            return v in self.postfix()
        return v

    def postfix(self):
        v = self.primary()
        while self.peek()[1] == ".":
            self.take()
            name = self.take()[1]
            v = v.get(name) if isinstance(v, dict) else getattr(v, name)
        return v

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            return int(val)
        if kind == "sq":
            return val[1:-1].replace("\\'", "'")
        if kind == "dq":
            return gstring(val[1:-1], self.env)
        if val == "(":
            v = self.ternary()
            self.take(")")
            return v
        if val == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.ternary())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return items
        if kind == "id":
            if val in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[val]
            return self.env.get(val)
        raise SyntaxError(f"unexpected {val!r}")


def evaluate(src: str, env: dict):
    return Expr(src, env).parse()


def gstring(body: str, env: dict) -> str:
    """Interpolate a Groovy GString body: ${expr}, \\$ -> $, \\\\ -> \\, \\t, \\n, \\"."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"t": "\t", "n": "\n"}.get(nxt, nxt))
            i += 2
        elif body.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                depth += {"{": 1, "}": -1}.get(body[j], 0)
                j += 1
            out.append(render(evaluate(body[i + 2:j - 1], env)))
            i = j
        elif c == "$" and re.match(r"[A-Za-z_]", body[i + 1:i + 2]):
            m = re.match(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", body[i + 1:])
            out.append(render(evaluate(m.group(0), env)))
            i += 1 + m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def run_preamble(src: str, env: dict) -> None:
    """Run the statements before a script string: if (...) { error(...) }, [def] name = expr."""
    for cond, msg in re.findall(r"if \((.*?)\) \{\s*error\((.*?)\)\s*\}", src, re.S):
        if truthy(evaluate(cond, env)):
            raise NfError(evaluate(msg, env))
    src = re.sub(r"if \(.*?\) \{.*?\}", "", src, flags=re.S)
    for line in src.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        m = re.fullmatch(r"(?:def\s+)?([A-Za-z_]\w*)\s*=\s*(.+)", line)
        if not m:
            raise SyntaxError(f"unsupported statement {line!r}")
        env[m.group(1)] = evaluate(m.group(2), env)


# --------------------------------------------------------------------------- processes

class Process:
    """One process of a module's main.nf: inputs, outputs, container/conda, script and stub."""

    def __init__(self, main_nf: Path):
        self.path = main_nf
        self.text = main_nf.read_text()
        self.name = re.search(r"^process (\w+)", self.text, re.M).group(1)
        self.inputs = [ln.strip() for ln in self._section("input:", "output:").splitlines() if ln.strip()]
        self.outputs = [ln.strip() for ln in self._section("output:", "when:").splitlines() if ln.strip()]

    def _section(self, start: str, end: str) -> str:
        return self.text.split("\n    " + start, 1)[1].split("\n    " + end, 1)[0]

    def directive(self, name: str, env: dict):
        """The value of the conda or container directive (one GString), evaluated."""
        start = self.text.index(f'\n    {name} "') + len(f'\n    {name} "')
        end = self.text.index('"\n', start) if name == "conda" else self.text.index('"\n\n', start)
        return gstring(" ".join(self.text[start:end].split()), env)

    def block(self, which: str) -> tuple[str, str]:
        """(Groovy statements, GString body) of the script: or stub: block."""
        part = self.text.split(f"\n    {which}:\n", 1)[1]
        pre, rest = part.split('"""', 1)
        return pre, rest.split('"""', 1)[0]

    def input_names(self) -> list[tuple[str, str, str | None]]:
        """(val|path, name, stageAs or None) of every element of every input channel, in order."""
        names = []
        for ln in self.inputs:
            m = re.fullmatch(r"(val|path) (\w+)", ln)
            if m:
                names.append((m.group(1), m.group(2), None))
            for m in re.finditer(r"\b(val|path)\((\w+)(?:, stageAs: '([^']+)')?\)", ln):
                names.append((m.group(1), m.group(2), m.group(3)))
        return names


def stage(value, pattern: str | None, workdir: Path):
    """Link input file(s) into ``workdir`` as Nextflow stages them; returns the staged name(s)."""
    if value in (None, []):
        return []
    files = value if isinstance(value, list) else [value]
    names = []
    for f in files:
        name = Path(f).name if pattern is None else pattern.replace("*", Path(f).name)
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.abspath(f), workdir / name)
        names.append(name)
    return names if isinstance(value, list) else names[0]


def task_env(proc: Process, inputs: dict, workdir: Path, *, cpus=2, args="", accelerator=None,
             engine="docker") -> dict:
    env = {"task": {"ext": {"args": args, "prefix": None, "when": None, "singularity_pull_docker_container": None},
                    "cpus": cpus, "process": proc.name, "accelerator": accelerator, "attempt": 1},
           "workflow": {"containerEngine": engine}, "moduleDir": str(proc.path.parent)}
    for kind, name, pattern in proc.input_names():
        env[name] = inputs[name] if kind == "val" else stage(inputs[name], pattern, workdir)
    return env


def render_block(proc: Process, which: str, env: dict) -> str:
    pre, body = proc.block(which)
    run_preamble(pre, env)
    return textwrap.dedent(gstring(body, env)).strip("\n") + "\n"


def run_task(proc: Process, inputs: dict, workdir: Path, which="script", **kw):
    """Render and run one task: returns (env, outputs {emit: [items]}, rendered script)."""
    workdir.mkdir(parents=True)
    env = task_env(proc, inputs, workdir, **kw)
    script = render_block(proc, which, env)
    shell_env = {"PATH": f"{BINDIR}:/usr/bin:/bin", "HOME": str(workdir), "LC_ALL": "C"}
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=workdir, env=shell_env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"{proc.name} {which} failed:\n{script}\n{res.stderr[-3000:]}"
    return env, collect_outputs(proc, env, workdir, shell_env), script


def collect_outputs(proc: Process, env: dict, workdir: Path, shell_env: dict) -> dict:
    """Match every declared output like Nextflow: path globs (sorted; one match -> the file itself),
    val(...) and eval(...) (the command's stdout, stripped)."""
    out = {}
    for ln in proc.outputs:
        emit = re.search(r"emit: (\w+)", ln).group(1)
        optional = "optional: true" in ln
        item = []
        for kind, arg in re.findall(r"\b(val|path|eval)\((\w+|\"(?:[^\"\\]|\\.)*\"|'[^']*')\)", ln):
            if kind == "val":
                item.append(evaluate(arg, env))
            elif kind == "path":
                pattern = evaluate(arg, env)
                matches = sorted(workdir.glob(pattern))
                if not matches:
                    assert optional, f"{proc.name}: no file matches output {pattern!r} ({emit})"
                    item = None
                    break
                item.append(matches[0] if len(matches) == 1 else matches)
            else:
                cmd = evaluate(arg, env)
                r = subprocess.run(["bash", "-c", cmd], cwd=workdir, env=shell_env, capture_output=True, text=True)
                assert r.returncode == 0, f"eval {cmd!r} failed: {r.stderr}"
                item.append(r.stdout.strip())
        out[emit] = [] if item is None else [item]
    return out


# --------------------------------------------------------------------------- nf-test snapshots

def _md5(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):  # nf-test hashes the content of gzipped files
        data = gzip.decompress(data)
    return hashlib.md5(data).hexdigest()


def snap_value(v, unstable: bool = False):
    """A channel item as nf-test writes it in a snapshot: files as NAME:md5,HASH (nf-test's
    PathConverter; gzipped files hashed decompressed, FileUtil.getMd5), or NAME alone for a key
    in sanitizeOutput's ``unstableKeys`` (nf-core/nft-utils OutputSanitizer.fixUnstable)."""
    if isinstance(v, Path):
        return v.name if unstable else f"{v.name}:md5,{_md5(v)}"
    if isinstance(v, list):
        return [snap_value(x, unstable) for x in v]
    return v


def snapshot_of(outputs: dict, keys=None, unstable=()) -> dict:
    """``sanitizeOutput(process.out, unstableKeys: unstable)`` (keys=None) or
    ``process.out.findAll { key, val -> key.startsWith(keys) }``: emit names only (numeric
    channel keys dropped), sorted as nf-test's Channels TreeMap."""
    keys = sorted(outputs) if keys is None else sorted(k for k in outputs if k.startswith(keys))
    return {k: [snap_value(item, k in unstable) for item in outputs[k]] for k in keys}


# The .snap text as nf-test (askimed/nf-test 200315a, lang/extensions/SnapshotFile.java) writes it:
# a java.util.HashMap of test name -> {content, timestamp[, meta]} serialised by Groovy's
# JsonGenerator and JsonOutput.prettyPrint (4-space indents, '[' or '{' then a newline, an empty
# list or map as an indented blank line, no final newline); maps inside content are TreeMaps
# (lang/channels/Channels.java), so their keys are sorted.  Checked here against nf-core/modules
# (041fbd9): 380 of 400 randomly drawn main.nf.test.snap files re-render byte for byte (the other 20
# were edited by hand: tabs, a final newline).  nf-test also writes "meta" (its own and Nextflow's
# version); no nf-test run made these files, so they have none (nf-test reads such entries and
# adds meta when it next saves the file).

def _java_hash(s: str) -> int:
    """java.lang.String.hashCode (UTF-16 code units), as an unsigned 32-bit int."""
    units = s.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h


def hashmap_order(keys: list[str]) -> list[str]:
    """Iteration order of a java.util.HashMap filled with ``keys`` in this order: by bucket
    (hash ^ hash >>> 16, masked to the table size: 16, doubled past 3/4 full), then insertion."""
    size = 16
    while len(keys) > size * 3 // 4:
        size *= 2
    return sorted(keys, key=lambda k: (_java_hash(k) ^ (_java_hash(k) >> 16)) & (size - 1))


def pretty_json(v, indent: int = 0, sort_keys: bool = True) -> str:
    """Groovy JsonOutput.prettyPrint of JsonOutput.toJson(v) (ASCII strings)."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(v, (dict, list)):
        if isinstance(v, dict):
            items = [f"{json.dumps(k)}: {pretty_json(x, indent + 4)}"
                     for k, x in (sorted(v.items()) if sort_keys else v.items())]
        else:
            items = [pretty_json(x, indent + 4) for x in v]
        o, c = "{}" if isinstance(v, dict) else "[]"
        return f"{o}\n{inner}{(',' + chr(10) + inner).join(items)}\n{pad}{c}"
    assert not isinstance(v, str) or v.isascii(), v
    return json.dumps(v)


def render_snap_file(entries: dict[str, dict]) -> str:
    """A whole .snap file: {test name: {"content": [...], "timestamp": "..."}} in nf-test's order."""
    ordered = {name: {"content": entries[name]["content"], "timestamp": entries[name]["timestamp"]}
               for name in hashmap_order(list(entries))}
    body = {name: f'{{\n{" " * 8}"content": {pretty_json(e["content"], 8)},\n{" " * 8}"timestamp": '
                  f'{json.dumps(e["timestamp"])}\n{" " * 4}}}' for name, e in ordered.items()}
    return "{\n    " + ",\n    ".join(f"{json.dumps(n)}: {b}" for n, b in body.items()) + "\n}"


def nf_test_names(test_file: Path) -> list[str]:
    return re.findall(r'^    test\("([^"]+)"\)', test_file.read_text(), re.M)


# --------------------------------------------------------------------------- fixtures

def make_demo(d: Path) -> dict:
    subprocess.run([str(BINDIR / "genomeface"), "demo-data", str(d)], check=True, capture_output=True)
    return {"contigs": d / "contigs.fna.gz", "depth": d / "depth.tsv"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not (BINDIR / "genomeface").exists():
        pytest.skip("genomeface console script not installed in this environment")
    return make_demo(tmp_path_factory.mktemp("demo"))


PROCS = {m: Process(MODULES / m / "main.nf") for m in ("splitfasta", "markers", "bin")}
META = {"id": "test"}


def _bin_inputs(demo, markers=()):
    return {"meta": META, "contigs": demo["contigs"], "depth": demo["depth"], "bams": [], "bais": [],
            "markers": list(markers)}


def run_scatter(demo: dict, base: Path) -> dict:
    """The subworkflow end to end on the demo: split into 4 -> markers x4 -> bin --markers.

    Channel plumbing as in fasta_binning_genomeface/main.nf: each chunk's meta gets
    id = chunk name without .fna.gz, the gathered tables are sorted by name and joined
    back to the assembly tuple by meta.
    """
    _, split_out, _ = run_task(PROCS["splitfasta"], {"meta": META, "fasta": demo["contigs"], "chunks": 4},
                               base / "split")
    chunks = split_out["chunks"][0][1]
    chunks = chunks if isinstance(chunks, list) else [chunks]
    tables, marker_outs = [], []
    for chunk in chunks:
        meta = {**META, "id": re.sub(r"\.fna\.gz$", "", chunk.name)}
        _, out, _ = run_task(PROCS["markers"], {"meta": meta, "fasta": chunk}, base / meta["id"])
        marker_outs.append(out)
        tables.append(out["markers"][0][1])
    tables.sort(key=lambda p: p.name)
    _, bin_out, bin_script = run_task(PROCS["bin"], _bin_inputs(demo, tables), base / "bin",
                                      args="--min-bin-size 100000")
    return {"split": split_out, "markers": marker_outs, "bin": bin_out, "tables": tables,
            "bin_script": bin_script, "base": base}


@pytest.fixture(scope="module")
def scatter(demo, tmp_path_factory):
    return run_scatter(demo, tmp_path_factory.mktemp("subworkflow"))


# --------------------------------------------------------------------------- tests

def test_subworkflow_end_to_end_split_markers_bin(scatter):
    split = scatter["split"]["chunks"][0]
    assert split[0] == META and [p.name for p in split[1]] == [f"test.{i}.fna.gz" for i in range(1, 5)]
    for out in scatter["markers"]:
        meta, table = out["markers"][0]
        assert table.name == f"{meta['id']}.markers.tsv" and table.read_text().startswith("contig\tmarker\n")
    b = scatter["bin"]
    assert set(b) == {"bins", "clusters", "quality", "unbinned", "markers", "run", "versions_genomeface"}
    for emit in ("bins", "clusters", "quality", "unbinned", "markers", "run"):
        assert b[emit] and b[emit][0][0] == META, emit
    bins = b["bins"][0][1]
    assert len(bins) >= 2 and [p.name for p in bins] == [f"test.{i}.fa.gz" for i in range(1, len(bins) + 1)]
    assert b["unbinned"][0][1].name == "test.unbinned.fa.gz"
    assert b["clusters"][0][1].read_text().startswith("bin\tcontig\n")
    # bin used the gathered tables: its markers.tsv is their union, and run.json records them
    union = sorted(ln for t in scatter["tables"] for ln in t.read_text().splitlines()[1:])
    assert sorted(b["markers"][0][1].read_text().splitlines()[1:]) == union and len(union) > 40
    run = json.loads(b["run"][0][1].read_text())
    assert [os.path.basename(m) for m in run["parameters"]["markers"]] == [t.name for t in scatter["tables"]]
    assert "--markers markers/test.1.markers.tsv markers/test.2.markers.tsv" in scatter["bin_script"]


def test_versions_topic(scatter):
    for out, name in ((scatter["split"], "GENOMEFACE_SPLITFASTA"), (scatter["markers"][0], "GENOMEFACE_MARKERS"),
                      (scatter["bin"], "GENOMEFACE_BIN")):
        from genomeface_core import __version__
        assert out["versions_genomeface"] == [[name, "genomeface", __version__]]


def _write_bams(contigs: Path, depth: Path, outdir: Path) -> list[Path]:
    """One coordinate-sorted, indexed BAM per sample of depth.tsv: exact 100 bp reads tiling
    each contig at that sample's depth (NM:0), so the module's --bam path has real input."""
    import numpy as np
    import pysam

    from genomeface_core.io.fasta import read_fasta

    c = read_fasta(contigs)
    rows = [ln.rstrip("\n").split("\t") for ln in open(depth)]
    samples = [h for h in rows[0][1:] if not h.endswith("-var")][:2]
    cols = [rows[0].index(h) for h in samples]
    by_name = {r[0]: r for r in rows[1:]}
    header = {"HD": {"VN": "1.6", "SO": "coordinate"},
              "SQ": [{"SN": n, "LN": len(q)} for n, q in zip(c.names, c.seqs)]}
    paths = []
    for sample, col in zip(samples, cols):
        path = outdir / f"{sample}.bam"
        with pysam.AlignmentFile(str(path), "wb", header=header) as out:
            for tid, (name, seq) in enumerate(zip(c.names, c.seqs)):
                d = float(by_name[name][col]) if name in by_name else 0.0
                n = int(d * len(seq) / 100)
                for pos in np.linspace(0, len(seq) - 100, num=n, dtype=np.int64) if n and len(seq) > 100 else []:
                    a = pysam.AlignedSegment(out.header)
                    a.query_name, a.reference_id, a.reference_start = f"{name}_{pos}", tid, int(pos)
                    a.query_sequence, a.cigarstring, a.mapping_quality = seq[pos:pos + 100].decode(), "100M", 60
                    a.set_tag("NM", 0)
                    out.write(a)
        pysam.index(str(path))
        paths.append(path)
    return paths


def test_bin_module_with_bams(demo, scatter, tmp_path):
    """BAMs and their indexes staged in bams/ (vamb/bin's layout) are found by genomeface bin."""
    bams = _write_bams(demo["contigs"], demo["depth"], tmp_path)
    inputs = {**_bin_inputs(demo, scatter["tables"]), "depth": [], "bams": bams,
              "bais": [Path(f"{b}.bai") for b in bams]}
    _, out, script = run_task(PROCS["bin"], inputs, tmp_path / "bin", args="--min-bin-size 100000")
    assert "--bam bams/S1.bam bams/S2.bam" in script and "--abundance" not in script
    run = json.loads(out["run"][0][1].read_text())
    assert run["parameters"]["bams"] == ["bams/S1.bam", "bams/S2.bam"] and run["samples"] == ["S1.bam", "S2.bam"]
    assert out["bins"] and len(out["bins"][0][1]) >= 2


def test_bin_names_are_those_nf_core_mag_renames_for_das_tool(demo, scatter, tmp_path):
    """With nf-core/mag's meta (assembler, binner) and its ext.prefix form (docs/nextflow.md), bins
    are <assembler>-GenomeFace-<id>.<n>.fa.gz: after gunzip the names modules/local/dastool_rename_pre/
    main.nf (nf-core/mag 56abab5) accepts, "${meta.assembler}-${meta.binner}-${meta.id}.([_[:alnum:]]+).fa",
    with DASTOOL_FASTATOCONTIG2BIN's extension 'fa'; the unbinned contigs are <prefix>.unbinned.fa.gz,
    which mag's SPLIT_FASTA splits into its <prefix>.*.[1-9]*.fa.gz outputs."""
    meta = {"id": "sample1", "assembler": "MEGAHIT", "binner": "GenomeFace"}
    prefix = f"{meta['assembler']}-{meta['binner']}-{meta['id']}"
    inputs = {**_bin_inputs(demo, scatter["tables"]), "meta": meta}
    workdir = tmp_path / "mag"
    workdir.mkdir()
    env = task_env(PROCS["bin"], inputs, workdir, args="--min-bin-size 100000")
    env["task"]["ext"]["prefix"] = prefix  # mag's conf/modules.config: ext.prefix = { "${meta.assembler}-GenomeFace-${meta.id}" }
    script = render_block(PROCS["bin"], "script", env)
    shell_env = {"PATH": f"{BINDIR}:/usr/bin:/bin", "HOME": str(workdir), "LC_ALL": "C"}
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=workdir, env=shell_env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    out = collect_outputs(PROCS["bin"], env, workdir, shell_env)
    names = [p.name for p in out["bins"][0][1]]
    rename_pre = re.compile(rf"{re.escape(prefix)}\.([_A-Za-z0-9]+)\.fa")  # the upstream bash =~ test
    assert len(names) >= 2 and all(n.endswith(".fa.gz") and rename_pre.fullmatch(n[:-3]) for n in names), names
    assert out["unbinned"][0][1].name == f"{prefix}.unbinned.fa.gz"
    # clusters.tsv names each bin as its file: DAS Tool's contig2bin and genomeface's table agree
    clusters = {ln.split("\t")[0] for ln in out["clusters"][0][1].read_text().splitlines()[1:]} - {"unbinned"}
    assert clusters == {n[:-len(".fa.gz")] for n in names}
    # the same bins as under the default prefix (meta.id: the scatter run)
    assert [gzip.decompress(p.read_bytes()) for p in out["bins"][0][1]] == \
        [gzip.decompress(p.read_bytes()) for p in scatter["bin"]["bins"][0][1]]


@pytest.mark.parametrize("module", ["splitfasta", "markers", "bin"])
def test_stub_blocks_give_every_declared_output(demo, module, tmp_path):
    inputs = {"splitfasta": {"meta": META, "fasta": demo["contigs"], "chunks": 4},
              "markers": {"meta": META, "fasta": demo["contigs"]},
              "bin": _bin_inputs(demo)}[module]
    _, out, script = run_task(PROCS[module], inputs, tmp_path / "t", which="stub", args="--some-arg")
    assert "--some-arg" in script  # ext.args is echoed (nf-core stub convention)
    assert all(out[k] for k in out), {k: v for k, v in out.items() if not v}


def test_bin_arguments_are_real_cli_options(tmp_path):
    from genomeface_core.cli.main import build_parser

    bams = [tmp_path / "s1.bam", tmp_path / "s2.bam"]
    for p in bams + [tmp_path / "c.fna", tmp_path / "m1.tsv", tmp_path / "m2.tsv"]:
        p.touch()
    inputs = {"meta": META, "contigs": tmp_path / "c.fna", "depth": [], "bams": bams,
              "bais": [tmp_path / "s1.bam.bai"], "markers": [tmp_path / "m1.tsv", tmp_path / "m2.tsv"]}
    (tmp_path / "s1.bam.bai").touch()
    (tmp_path / "w").mkdir()
    env = task_env(PROCS["bin"], inputs, tmp_path / "w", cpus=4, accelerator={"request": 1})
    script = render_block(PROCS["bin"], "script", env)
    cmd = script.split("\n\n")[0].replace("\\\n", " ").split()
    assert cmd[:2] == ["genomeface", "bin"]
    a = build_parser().parse_args(cmd[1:])
    assert (a.contigs, a.bams, a.markers, a.outdir, a.threads, a.device, a.progress, a.prefix) == (
        "c.fna", ["bams/s1.bam", "bams/s2.bam"], ["markers/m1.tsv", "markers/m2.tsv"], "test", 4, "gpu", False,
        "test.")
    # a depth table and BAMs together: the module's error(), before anything runs
    (tmp_path / "w2").mkdir()
    (tmp_path / "d.tsv").touch()
    env = task_env(PROCS["bin"], {**inputs, "depth": tmp_path / "d.tsv"}, tmp_path / "w2")
    with pytest.raises(NfError, match="depth table or BAM files, not both"):
        render_block(PROCS["bin"], "script", env)


@pytest.mark.parametrize("module", ["markers", "splitfasta"])
def test_markers_and_split_arguments_are_real_cli_options(module, tmp_path):
    from genomeface_core.cli.main import build_parser

    (tmp_path / "c.fna").touch()
    inputs = {"meta": META, "fasta": tmp_path / "c.fna", "chunks": 8}
    (tmp_path / "w").mkdir()
    env = task_env(PROCS[module], inputs, tmp_path / "w", cpus=3, args="-m 2000")
    cmd = render_block(PROCS[module], "script", env).replace("\\\n", " ").split()
    a = build_parser().parse_args(cmd[1:])
    assert (a.contigs, a.min_contig_length) == ("c.fna", 2000)
    if module == "markers":
        assert (a.output, a.threads, a.progress) == ("test.markers.tsv", 3, False)
    else:
        assert (a.chunks, a.outdir, a.prefix) == (8, "test", "test")


@pytest.mark.parametrize("engine, gpu, container", [
    ("docker", None, "quay.io/biocontainers/genomeface:0.1.0--pyhdfd78af_0"),
    ("singularity", None, "https://depot.galaxyproject.org/singularity/genomeface:0.1.0--pyhdfd78af_0"),
    ("apptainer", None, "https://depot.galaxyproject.org/singularity/genomeface:0.1.0--pyhdfd78af_0"),
    ("docker", {"request": 1}, "quay.io/biocontainers/mulled-v2-fa864abc6f2b9232d485da771e34580836ae2823:"
                               "c1d1f3c94f1d664bba9259428749c50ecfd619f0-0"),
    ("apptainer", {"request": 1}, "https://depot.galaxyproject.org/singularity/mulled-v2-"
                                  "fa864abc6f2b9232d485da771e34580836ae2823:c1d1f3c94f1d664bba9259428749c50ecfd619f0-0"),
])
def test_container_and_conda_selection(engine, gpu, container):
    import hashlib as h

    env = {"workflow": {"containerEngine": engine}, "task": {"ext": {}, "accelerator": gpu},
           "moduleDir": "MOD"}
    assert PROCS["bin"].directive("container", env) == container
    assert PROCS["bin"].directive("conda", env) == ("MOD/environment.gpu.yml" if gpu else "MOD/environment.yml")
    if gpu is None:
        for m in ("markers", "splitfasta"):
            assert PROCS[m].directive("container", env) == container
    # the GPU image is the biocontainers mulled-v2 name of environment.gpu.yml's packages
    deps = re.findall(r"^  - \w[\w-]*::(\S+)=(\S+)$", (MODULES / "bin" / "environment.gpu.yml").read_text(), re.M)
    pkgs = sorted(deps)
    assert [p for p, _ in pkgs] == ["cupy", "genomeface"]
    name = h.sha1("\n".join(p for p, _ in pkgs).encode()).hexdigest()
    version = h.sha1("\n".join(v for _, v in pkgs).encode()).hexdigest()
    assert f"mulled-v2-{name}:{version}-0" in PROCS["bin"].text


# each nf-test with a snapshot -> how its content is computed here.  "versions": the B. fragilis
# tests (nf-core/test-datasets cannot be fetched here, so they snapshot only the versions and check
# the rest by assertions); "demo": real outputs, md5s included, on the input demodata/main.nf makes;
# "stub": the stub block; "no-long-contigs": markers on a filter that leaves no contig.
SNAPSHOTS = {
    ("bin", "bacteroides_fragilis - contigs - bam"): "versions",
    ("bin", "bacteroides_fragilis - contigs - bam - markers"): "versions",
    ("bin", "bacteroides_fragilis - contigs only"): "versions",
    ("bin", "demo - contigs - depth"): "demo",
    ("bin", "bacteroides_fragilis - contigs - bam - stub"): "stub",
    ("markers", "bacteroides_fragilis - contigs"): "versions",
    ("markers", "bacteroides_fragilis - contigs - no long contigs"): "no-long-contigs",
    ("markers", "demo - contigs"): "demo",
    ("markers", "bacteroides_fragilis - contigs - stub"): "stub",
    ("splitfasta", "bacteroides_fragilis - contigs - 4 chunks"): "versions",
    ("splitfasta", "demo - contigs - 4 chunks"): "demo",
    ("splitfasta", "bacteroides_fragilis - contigs - 4 chunks - stub"): "stub",
    ("subworkflow", "bacteroides_fragilis - contigs - bam - 4 chunks - stub"): "stub",
}
DEMO_ARGS = {"bin": "--min-bin-size 100000", "markers": "", "splitfasta": ""}  # the demo tests' module_args
DEMO_UNSTABLE = {"bin": ("run",)}  # sanitizeOutput(..., unstableKeys: ["run"]): run.json holds timings
CPUS = 4  # nf-core/modules' tests/config/nf-test.config: process.cpus = 4


def demo_from_process(tmp: Path) -> dict:
    """The demo input as demodata/main.nf makes it (its script block, run here)."""
    _, out, _ = run_task(Process(MODULES / "demodata" / "main.nf"), {"meta": META}, tmp)
    _, contigs, depth = out["demo"][0]
    return {"contigs": contigs, "depth": depth}


def expected_snapshots(demo, scatter, tmp: Path) -> dict[Path, dict]:
    """{snap file: {test name: content}} computed from the rendered blocks."""
    inputs = {"splitfasta": {"meta": META, "fasta": demo["contigs"], "chunks": 4},
              "markers": {"meta": META, "fasta": demo["contigs"]},
              "bin": _bin_inputs(demo)}
    real = {"splitfasta": scatter["split"], "markers": scatter["markers"][0], "bin": scatter["bin"]}
    files: dict[Path, dict] = {}
    for (module, test), how in SNAPSHOTS.items():
        if module == "subworkflow":
            # stub run of the subworkflow: split stub -> 2 chunk stubs -> markers stubs -> bin stub
            _, out, _ = run_task(PROCS["bin"], _bin_inputs(demo), tmp / "swf-bin", which="stub", args="--min-bin-size 0")
            content = snapshot_of({k: v for k, v in out.items() if not k.startswith("versions")})
            path = SUBWORKFLOW / "tests" / "main.nf.test.snap"
        else:
            if how == "versions":
                content = snapshot_of(real[module], keys="versions")
            elif how == "stub":
                _, out, _ = run_task(PROCS[module], inputs[module], tmp / f"{module}-stub", which="stub")
                content = snapshot_of(out)
            elif how == "demo":
                _, out, _ = run_task(PROCS[module], inputs[module], tmp / f"{module}-demo", cpus=CPUS,
                                     args=DEMO_ARGS[module])
                content = snapshot_of(out, unstable=DEMO_UNSTABLE.get(module, ()))
            else:
                _, out, _ = run_task(PROCS[module], inputs[module], tmp / f"{module}-nolong",
                                     args="--min-contig-length 100000000")
                content = snapshot_of(out)
            path = MODULES / module / "tests" / "main.nf.test.snap"
        files.setdefault(path, {})[test] = {"content": [content]}
    return files


@pytest.fixture(scope="module")
def expected(tmp_path_factory, scatter):
    tmp = tmp_path_factory.mktemp("snap")
    return expected_snapshots(demo_from_process(tmp / "demodata"), scatter, tmp)


def test_nf_test_snapshots_match_the_rendered_blocks(expected):
    for path, tests in expected.items():
        assert path.exists(), f"{path} missing: python tests/test_nextflow_module.py --write-snapshots"
        text = path.read_text()
        committed = json.loads(text)
        assert {t: v["content"] for t, v in committed.items()} == {t: v["content"] for t, v in tests.items()}, path
        # byte for byte what nf-test writes for these entries (order, indentation, no final newline)
        assert text == render_snap_file(committed), f"{path}: not in nf-test's .snap format"
        # every snapshot(...) test of the nf-test file has its entry, and no other entries
        test_file = path.with_name("main.nf.test")
        src = test_file.read_text()
        with_snap = [t for t in nf_test_names(test_file)
                     if "snapshot(" in src.split(f'test("{t}")', 1)[1].split('\n    test("', 1)[0]]
        assert sorted(committed) == sorted(with_snap), path


def test_demo_snapshots_hold_md5s_of_real_outputs(expected):
    """The demo entries pin real results: several bins, non-empty tables, every chunk."""
    bin_snap = expected[MODULES / "bin" / "tests" / "main.nf.test.snap"]["demo - contigs - depth"]["content"][0]
    bins = bin_snap["bins"][0][1]
    assert len(bins) >= 2 and all(re.fullmatch(r"test\.\d+\.fa\.gz:md5,[0-9a-f]{32}", b) for b in bins)
    assert bin_snap["run"] == [[META, "run.json"]]  # unstable: name only
    empty = hashlib.md5(b"").hexdigest()
    for key in ("clusters", "quality", "markers", "unbinned"):
        assert not bin_snap[key][0][1].endswith(empty), key
    split = expected[MODULES / "splitfasta" / "tests" / "main.nf.test.snap"]["demo - contigs - 4 chunks"]
    assert [c.split(":")[0] for c in split["content"][0]["chunks"][0][1]] == [f"test.{i}.fna.gz" for i in range(1, 5)]


def test_nf_tests_use_nf_core_test_data_and_tags():
    for test_file in list(MODULES.glob("*/tests/main.nf.test")) + [SUBWORKFLOW / "tests" / "main.nf.test"]:
        text = test_file.read_text()
        files = re.findall(r"modules_testdata_base_path \+ '([^']+)'", text)
        assert files and all(f.startswith("genomics/prokaryotes/bacteroides_fragilis/illumina/") for f in files)
        assert any(t.endswith("- stub") for t in nf_test_names(test_file)), test_file
        assert 'config "./nextflow.config"' in text and (test_file.parent / "nextflow.config").exists()
    # the GPU test (caalm/caalm's form): tag "gpu" and a config that sets the accelerator
    gpu = (MODULES / "bin" / "tests" / "main.gpu.nf.test").read_text()
    assert 'tag "gpu"' in gpu and 'config "./nextflow.gpu.config"' in gpu
    assert re.search(r"^\s*accelerator = 1$", (MODULES / "bin" / "tests" / "nextflow.gpu.config").read_text(), re.M)


def _write_snapshots() -> None:  # pragma: no cover - maintenance entry point
    import datetime
    import tempfile

    with tempfile.TemporaryDirectory() as t:
        d = make_demo(Path(t) / "demo")
        s = run_scatter(d, Path(t) / "subworkflow")
        stamp = datetime.datetime.now().isoformat()  # nf-test: ISO_DATE_TIME of LocalDateTime.now()
        for path, tests in expected_snapshots(demo_from_process(Path(t) / "demodata"), s, Path(t) / "snap").items():
            old = json.loads(path.read_text()) if path.exists() else {}
            entries = {name: {**v, "timestamp": old[name]["timestamp"] if old.get(name, {}).get("content") == v["content"]
                              else stamp} for name, v in tests.items()}
            path.write_text(render_snap_file(entries))
            print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--write-snapshots"]:
        _write_snapshots()

"""The Nextflow module's script block, rendered as Nextflow would and run with bash.

Nextflow itself cannot run here, so this test renders the `script:` block of
nextflow/modules/genomeface/bin/main.nf (variable substitution, escapes,
indentation stripped), runs it on the bundled demo and checks every declared
output glob matches.
"""
import glob
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MAIN = Path(__file__).resolve().parents[1] / "nextflow" / "modules" / "genomeface" / "bin" / "main.nf"


def _block(text: str, start: str, end: str) -> str:
    body = text.split(start, 1)[1].split(end, 1)[0]
    return body


def render_script(values: dict) -> str:
    text = MAIN.read_text()
    script = _block(text, "script:", "stub:")
    script = script.split('"""', 2)[1]
    script = textwrap.dedent(script)

    def sub(m):
        key = m.group(1)
        return str(values[key])
    script = re.sub(r"(?<!\\)\$\{([a-zA-Z_.]+)\}", sub, script)
    return script.replace("\\\\", "\\").replace("\\$", "$")


def test_module_script_runs_on_demo(tmp_path):
    from genomeface_core.demo import write_demo

    bindir = Path(sys.executable).parent
    if not (bindir / "genomeface").exists():
        pytest.skip("genomeface console script not installed in this environment")
    paths = write_demo(tmp_path / "in")
    script = render_script({"contigs": paths["contigs"], "depth": paths["depth"], "prefix": "demo",
                            "task.cpus": 2, "args": "--min-bin-size 100000",
                            "task.process": "GENOMEFACE_BIN"})
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": f"{bindir}:/usr/bin:/bin"}
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    text = MAIN.read_text()
    outputs = re.findall(r'path\("\$\{prefix\}/([^"]+)"\)', _block(text, "output:", "when:"))
    assert len(outputs) == 6
    for pattern in outputs:
        assert glob.glob(str(work / "demo" / pattern)), pattern
    assert glob.glob(str(work / "demo" / "bins" / "demo_bin1.fna.gz"))
    versions = (work / "versions.yml").read_text()
    assert '"GENOMEFACE_BIN":' in versions and "genomeface: 0.1.0" in versions


def test_module_args_are_real_cli_options():
    from genomeface_core.cli import build_parser

    script = render_script({"contigs": "c.fna", "depth": "d.tsv", "prefix": "p", "task.cpus": 4, "args": "",
                            "task.process": "X"})
    cmd = script.split("gzip")[0].replace("\\\n", " ").split()
    assert cmd[0] == "genomeface"
    args = build_parser().parse_args(cmd[1:])
    assert (args.contigs, args.abundance, args.outdir, args.threads, args.progress) == ("c.fna", "d.tsv", "p", 4, False)

"""Timed, memory-capped runs of the binners under test, and where each writes its bins.

Every command runs under ``/usr/bin/time -v`` (wall time, peak RSS of the largest process)
and, for the peers, ``prlimit --as`` (address-space cap; a run that hits it fails and is
reported as a failed row, not dropped). Environments: genomeface from the repository's .venv,
VAMB 5.0.4 and SemiBin2 2.x from benchmarks/peers/install.sh (benchmarks/work/*-env),
MetaBAT2 from Debian.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENOMEFACE = str(ROOT / ".venv" / "bin" / "genomeface")
VAMB = str(ROOT / "benchmarks" / "work" / "vamb-env" / "bin" / "vamb")
SEMIBIN = str(ROOT / "benchmarks" / "work" / "semibin-env" / "bin" / "SemiBin2")


def timed(cmd: list[str], log: str, timeout: int, mem_cap_gb: float | None = None,
          env: dict | None = None) -> dict:
    """Run ``cmd`` (stdout+stderr to ``log``); {status, rc, wall_s, peak_rss_gb}.

    status is "ok", "failed (rc N)", "timeout (N s)".
    """
    full = ["/usr/bin/time", "-v", "-o", log + ".time"]
    if mem_cap_gb:
        full += ["prlimit", f"--as={int(mem_cap_gb * 2 ** 30)}", "--"]
    full += cmd
    e = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2",
             **(env or {}))
    t0 = time.monotonic()
    with open(log, "w") as fh:
        fh.write(" ".join(cmd) + "\n")
        fh.flush()
        # own process group: a timeout must stop the binner's children too, not only /usr/bin/time
        proc = subprocess.Popen(full, stdout=fh, stderr=subprocess.STDOUT, env=e, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
            status = "ok" if rc == 0 else f"failed (rc {rc})"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc, status = -9, f"timeout ({timeout} s)"
    wall = time.monotonic() - t0
    rss = None
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(log + ".time").read())
        rss = int(m.group(1)) / 2 ** 20 if m else None
    except FileNotFoundError:
        pass
    return {"status": status, "rc": rc, "wall_s": round(wall, 1),
            "peak_rss_gb": None if rss is None else round(rss, 2)}


@dataclass
class Binner:
    """One binner run: a name, how to call it, and the contig->bin table it leaves."""

    name: str
    cmd: list[str]
    bins: str          # path (relative to outdir) of the contig->bin table or bin folder
    fmt: str           # benchmarks.lab.evaluate.read_bins format
    mem_cap_gb: float | None = None
    pre: list[str] = field(default_factory=list)   # steps this row's time includes (labels)
    split_sep: str | None = None                   # split clusters by contig-name prefix


def binners(contigs: str, bams: list[str], bamdir: str, depth: str, outdir: str, threads: int,
            mem_cap_gb: float, min_len: int, split_sep: str | None = None,
            which: tuple[str, ...] = ("genomeface-bam", "genomeface-depth", "metabat2", "vamb",
                                      "semibin2")) -> list[Binner]:
    """The binners of one run. ``split_sep``: multi-split mode (contigs named S<n><sep>...)."""
    o = lambda n: os.path.join(outdir, n)  # noqa: E731
    t = str(threads)
    gf_split = _genomeface_split_args(split_sep)

    def gf_depth(name: str, *extra: str) -> Binner:
        """genomeface on the depth table, with ``extra`` options."""
        return Binner(name, [GENOMEFACE, "bin", "-i", contigs, "-a", depth, "-o", o(name), "-t", t,
                             "-m", str(min_len), *extra, *gf_split],
                      "clusters.tsv", "genomeface", pre=["depth"], split_sep=None if gf_split else split_sep)

    all_ = {
        "genomeface-bam": Binner("genomeface-bam", [GENOMEFACE, "bin", "-i", contigs, "-b", *bams, "-o",
                                  o("genomeface-bam"), "-t", t, "-m", str(min_len), *gf_split],
                                 "clusters.tsv", "genomeface",
                                 split_sep=None if gf_split else split_sep),
        "genomeface-depth": gf_depth("genomeface-depth"),
        # the adaptive composition (issue 15) on the same depth table
        "genomeface-adaptive": gf_depth("genomeface-adaptive", "--composition", "adaptive"),
        # depth coherence and depth split (issue 24) off: the cut and rescue as before them
        "genomeface-depth-nocoherence": gf_depth("genomeface-depth-nocoherence", "--depth-coherence", "0",
                                                 "--depth-split", "0"),
        # the per-contig test alone, no depth split
        "genomeface-depth-nosplit": gf_depth("genomeface-depth-nosplit", "--depth-split", "0"),
        "metabat2": Binner("metabat2", ["bash", "-c", f"mkdir -p {o('metabat2')} && metabat2 -i {contigs} "
                                        f"-a {depth} -o {o('metabat2')}/bin -t {t} -m {max(min_len, 1500)} "
                                        f"--seed 1"],
                           ".", "metabat-dir", mem_cap_gb, pre=["depth"], split_sep=split_sep),
        "vamb": Binner("vamb", [VAMB, "bin", "default", "--outdir", o("vamb"), "--fasta", contigs,
                                "--bamdir", bamdir, "-p", t, "-m", str(min_len), "--seed", "1",
                                "-o", split_sep or ""],
                       "vae_clusters_split.tsv" if split_sep else "vae_clusters_unsplit.tsv", "vamb",
                       mem_cap_gb),
        "semibin2": Binner("semibin2", [SEMIBIN, *(["multi_easy_bin", "-s", split_sep] if split_sep
                                                   else ["single_easy_bin"]),
                                        "-i", contigs, "-b", *bams, "-o", o("semibin2"), "-t", t,
                                        "-m", str(min_len), "--random-seed", "1"],
                           "contig_bins.tsv", "semibin", mem_cap_gb),
    }
    return [all_[w] for w in which]


def _genomeface_split_args(split_sep: str | None) -> list[str]:
    """``--split-sep SEP`` when this genomeface has it (multi-split), else [] (harness splits)."""
    if not split_sep:
        return []
    h = subprocess.run([GENOMEFACE, "bin", "--help"], capture_output=True, text=True).stdout
    return ["--split-sep", split_sep] if "--split-sep" in h else []


def finished_record(log: str) -> dict | None:
    """The record of a run that finished after its harness stopped (killed, or the session ended):
    read from its own ``/usr/bin/time -v`` file, which time writes only when the binner exits; None
    when there is no such file or it is older than the run's log (an earlier run's)."""
    tf = log + ".time"
    if not (os.path.exists(tf) and os.path.exists(log)) or os.path.getmtime(tf) < os.path.getmtime(log) - 1:
        return None
    text = open(tf).read()
    m_rc = re.search(r"Exit status: (\d+)", text)
    m_wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    m_rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if not (m_rc and m_wall):
        return None
    rc = int(m_rc.group(1))
    wall = int(m_wall.group(1) or 0) * 3600 + int(m_wall.group(2)) * 60 + float(m_wall.group(3))
    return {"status": "ok" if rc == 0 else f"failed (rc {rc})", "rc": rc, "wall_s": round(wall, 1),
            "peak_rss_gb": round(int(m_rss.group(1)) / 2 ** 20, 2) if m_rss else None,
            "adopted": "finished after its harness stopped; record from its /usr/bin/time file"}


def run_binner(b: Binner, outdir: str, timeout: int) -> dict:
    """Run one binner unless its result (``<name>.result.json``) is cached; returns the record."""
    rec_path = os.path.join(outdir, f"{b.name}.result.json")
    if os.path.exists(rec_path):
        return json.load(open(rec_path))
    target = os.path.join(outdir, b.name)
    log = os.path.join(outdir, f"{b.name}.log")
    rec = finished_record(log)
    if rec is None:
        if os.path.exists(target):
            shutil.rmtree(target)  # a half-written folder from an interrupted run
        os.makedirs(outdir, exist_ok=True)
        rec = timed(b.cmd, log, timeout, b.mem_cap_gb)
    table = os.path.normpath(os.path.join(target, b.bins))
    if rec["status"] == "ok" and not os.path.exists(table):
        rec["status"] = f"failed (no {b.bins})"
    rec.update(name=b.name, bins=table, fmt=b.fmt, split_sep=b.split_sep, pre=b.pre)
    with open(rec_path + ".part", "w") as fh:
        json.dump(rec, fh, indent=1)
    os.replace(rec_path + ".part", rec_path)
    return rec

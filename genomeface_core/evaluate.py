"""Transitional alias, to be deleted: bin evaluation moved out of the package to
``benchmarks/lab/evaluate.py`` (import ``benchmarks.lab.evaluate`` with the repository root
on ``sys.path``).  Kept only while ``benchmarks/assembly/run.py`` (another owner) imports this
name; it works only inside a repository checkout.
"""
from benchmarks.lab.evaluate import *  # noqa: F401,F403
from benchmarks.lab.evaluate import PRECISIONS, RECALLS, evaluate, read_bins, read_truth  # noqa: F401

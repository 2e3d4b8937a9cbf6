"""Training composition metrics from reference genomes (``genomeface train-composition``).

* :mod:`.sampler`: seeded random genome windows and their k-mer features;
* :mod:`.linear`: shrinkage LDA fit of the linear metric;
* :mod:`.evaluation`: leave-genus-out folds and pair AUROC (benchmarks);
* :mod:`.cli`: the ``train-composition`` subcommand.
"""
from __future__ import annotations

from .train import read_labels, train_linear  # noqa: F401

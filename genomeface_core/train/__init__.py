"""Training embeddings from reference genomes (``genomeface train-composition``, ``train-abundance``).

* :mod:`.sampler`: genome folders (read by :func:`genomeface_core.io.fasta.read_genome`),
  seeded random windows and their k-mer features;
* :mod:`.linear`: shrinkage LDA fit of the linear metric;
* :mod:`.train`: ``train_linear``, labels and species classes;
* :mod:`.losses`: CurricularFace for Keras;
* :mod:`.network`: the composition network, trained with CurricularFace;
* :mod:`.abundance`: the co-abundance network, trained on simulated coverage;
* :mod:`.cli`, :mod:`.abundance_cli`: the two subcommands.

Leave-genus-out folds and pair AUROC (benchmarks only) live in ``benchmarks/lab/folds.py``.
"""
from __future__ import annotations

from genomeface_core.train.train import read_labels, train_linear  # noqa: F401

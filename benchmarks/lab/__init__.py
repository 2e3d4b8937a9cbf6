"""The lab: what benchmarks and tests need and the engine never imports.

* :mod:`.evaluate`: score a contig -> bin table against a mock's truth (NC, grid, ARI);
* :mod:`.folds`: the shared-genome catalog, leave-genus-out folds, fold models, pair AUROC;
* :mod:`.reads`: paired-end read simulation, FASTQ and MetaBAT depth writers.

Import it as ``benchmarks.lab`` with the repository root on ``sys.path`` (the
benchmark scripts and ``tests/conftest.py`` put it there).  It is not part of the
``genomeface`` wheel; mock assemblies come from :mod:`genomeface_core.demo.mock`.
"""

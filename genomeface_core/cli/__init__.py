"""The command line: ``genomeface`` (:mod:`.main`) and one module per subcommand."""
from genomeface_core.cli.main import build_parser, main  # noqa: F401  (the console script genomeface_core.cli:main)

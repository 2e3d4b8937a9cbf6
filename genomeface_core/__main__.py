import sys

from genomeface_core.cli.main import main

sys.exit(main())

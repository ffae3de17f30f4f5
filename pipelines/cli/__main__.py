"""`python -m pipelines.cli …`: the same command line as `lingpao …`."""

import sys

from pipelines.cli import main

sys.exit(main())

"""`python -m lingpao.cli …`: the same command line as `lingpao …`."""

import sys

from lingpao.cli import main

sys.exit(main())

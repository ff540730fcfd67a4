"""``python -m skgraphemb``: the command line (see :mod:`skgraphemb.cli`)."""

import sys

from skgraphemb.cli import main

if __name__ == "__main__":
    sys.exit(main())

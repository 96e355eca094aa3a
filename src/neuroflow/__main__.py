"""``python -m neuroflow``: the command line."""

import sys

from neuroflow.cli import main

sys.exit(main())

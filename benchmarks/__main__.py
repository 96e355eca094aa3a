"""``python -m benchmarks``: run the speed harness."""

import sys

from benchmarks.run import main

sys.exit(main())

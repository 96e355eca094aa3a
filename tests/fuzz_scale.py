"""How many cases each fuzz loop makes (marker ``fuzz``).

The fuzz tests draw every case from its own seed (its index), so any subset of the cases
is the same cases as in the full run. ``make test`` runs every :data:`STRIDE`-th case of
each loop, the same subset on every run; with ``NEUROFLOW_FUZZ=full`` (CI's fuzz pass:
``NEUROFLOW_FUZZ=full pytest -m fuzz``) each loop runs all of its cases. A case that fails
in the full run fails alone in either mode by its index (the failure message names it).
"""

from __future__ import annotations

import os

#: Whether every case runs (``NEUROFLOW_FUZZ=full``).
FULL = os.environ.get("NEUROFLOW_FUZZ", "").strip().lower() == "full"
#: One case in STRIDE runs by default.
STRIDE = 1 if FULL else 10


def cases(count: int) -> range:
    """The indices of the cases a loop of ``count`` cases runs: all of them, or every
    :data:`STRIDE`-th from 0."""
    return range(0, count, STRIDE)


def share(count: int) -> int:
    """How many of ``count`` cases run (``len(cases(count))``)."""
    return len(cases(count))

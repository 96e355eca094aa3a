"""Where the divergence finding of ``Diagnostics`` switches on: a rise must exceed the
divergence factor times the best loss *and* undo more than a quarter of what training had
gained (``_SETBACK = 0.25``). Losses 10 -> 1 gain 9, so a quarter is 2.25: a rise to 3.25
is the boundary. A threshold of 0.2 (boundary 2.8) or 0.5 (boundary 5.5) fails here."""

from __future__ import annotations

import pytest

import neuroflow as nf
from neuroflow.callbacks import diagnostics as diagnostics_module


def _divergence_epochs(losses):
    diagnostics = nf.callbacks.Diagnostics(verbose=False)
    found = []
    for epoch, loss in enumerate(losses):
        found += diagnostics._loss_findings(epoch, {"loss": loss})
    return [finding.epoch for finding in found if finding.kind == "divergence"]


def test_the_setback_is_a_quarter_of_the_gain():
    assert diagnostics_module._SETBACK == 0.25


@pytest.mark.parametrize("last, diverges", [
    (2.9, False),    # gives back 1.9 of 9: under a quarter (a threshold of 0.2 would fire)
    (3.0, False),
    (3.25, False),   # exactly a quarter (2.25): not more than a quarter
    (3.3, True),     # just over a quarter
    (5.0, True),     # under half (a threshold of 0.5 would stay silent)
    (5.4, True),
])
def test_divergence_fires_once_a_rise_undoes_more_than_a_quarter_of_the_gain(last, diverges):
    # every ``last`` here is above 1.5 times the best loss (1.0): the factor never decides
    assert _divergence_epochs([10.0, 1.0, last]) == ([2] if diverges else [])


def test_the_factor_still_applies_when_the_setback_is_large():
    # 2 -> 1 gains 1; a rise to 1.4 undoes 40% of it but is under 1.5 times the best
    assert _divergence_epochs([2.0, 1.0, 1.4]) == []
    assert _divergence_epochs([2.0, 1.0, 1.6]) == [2]

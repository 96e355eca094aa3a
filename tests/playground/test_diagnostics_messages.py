"""The Diagnostics panel's messages point the right way: too large a step at η = 10, a
converged run is converged (not stalled), a stuck spiral underfits."""

from __future__ import annotations

from neuroflow.callbacks import Diagnostics
from neuroflow.playground import Config, Engine


def kinds(engine):
    return [finding["kind"] for finding in engine.frame()["findings"]]


def test_eta_10_is_too_large_a_step_and_comes_first():
    engine = Engine(Config(learning_rate=10.0))
    engine.step(10)
    findings = engine.frame()["findings"]
    assert findings[0]["kind"] == "divergence"
    assert "overshoots" in findings[0]["message"]
    assert "learning rate is too large" in findings[0]["hint"]
    # its consequences are not reported as causes of their own
    assert not {"saturation", "vanishing_gradient"} & set(kinds(engine))


def test_a_converged_run_is_converged_not_stalled():
    diagnostics = Diagnostics(every=1, verbose=False)
    diagnostics.on_train_begin()
    for epoch, loss in enumerate([0.7, 0.1, 0.01, 0.00392, 0.00391, 0.0039, 0.0039]):
        diagnostics.on_epoch_end(epoch, {"loss": loss})
    found = [f.kind for f in diagnostics.findings]
    assert "converged" in found and "plateau" not in found
    converged = next(f for f in diagnostics.findings if f.kind == "converged")
    assert "training has converged" in converged.message and "stalled" not in str(converged)
    # a loss stuck high is still a plateau
    stuck = Diagnostics(every=1, verbose=False)
    stuck.on_train_begin()
    for epoch, loss in enumerate([0.7, 0.5, 0.45, 0.45, 0.45, 0.45]):
        stuck.on_epoch_end(epoch, {"loss": loss})
    assert "plateau" in [f.kind for f in stuck.findings]


def test_a_stuck_spiral_underfits_more_units_or_layers():
    engine = Engine(Config(data="spiral"))
    for _ in range(6):
        engine.step(10)
    assert engine.accuracies[-1] < 0.7
    findings = engine.frame()["findings"]
    assert [f["kind"] for f in findings] == ["underfitting"]
    assert "underfits" in findings[0]["message"]
    assert "more units or more layers" in findings[0]["hint"]
    # a run that learns is not called underfitting
    learning = Engine(Config(data="moons", learning_rate=0.3))
    for _ in range(6):
        learning.step(10)
    assert "underfitting" not in kinds(learning)

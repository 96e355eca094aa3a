"""``neuroflow train --limit N``: the first N training samples, the test set unchanged."""

from __future__ import annotations

import pytest

from neuroflow.cli import main
from neuroflow.network import Network


def test_limit_trains_on_the_first_samples_only(idx_dir, tmp_path, monkeypatch, capsys):
    seen = []
    fit = Network.fit

    def recording_fit(self, x, y, *args, **kwargs):
        seen.append((x.copy(), y.copy()))
        return fit(self, x, y, *args, **kwargs)

    monkeypatch.setattr(Network, "fit", recording_fit)
    status = main(["train", "--data", str(idx_dir), "--limit", "25", "--epochs", "1",
                   "--batch-size", "5", "--layers", "784,8,10", "--quiet",
                   "--out", str(tmp_path / "m.safetensors")])
    assert status == 0
    (x, y), = seen
    assert x.shape == (25, 784) and list(y) == [i % 10 for i in range(25)]
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_limit_must_be_a_positive_integer(value, capsys):
    assert main(["train", "--limit", value]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "--limit" in error[0] and value in error[0]

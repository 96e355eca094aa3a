r"""What ``neuroflow train`` says when a run stops (Ctrl-C, SIGTERM, divergence, a
checkpoint that cannot be written) or ends badly: where the last checkpoint is, the
command that resumes it, and one plain-language hint naming the setting to change.
SIGTERM is Ctrl-C with exit status 143 (:func:`terminate_as_interrupt`).

Two cases are always reported, with or without ``--diagnostics``:

- the run **diverged** (the loss or the weights became NaN or infinite; ``train`` exits
  1 with one error line): the learning rate :math:`\eta` is the usual cause, and the
  line ends with the rate ten times smaller to try;
- the run finished but its accuracy is **below chance**, :math:`1/k` for :math:`k`
  classes (1/2 for one sigmoid output), or it answers **one class for every sample**:
  the network does no better than guessing. When its training loss did not fall, the
  steps were too large and knocked it off (dead or saturated units): a rate a hundred
  times smaller is suggested. When the loss did fall, it has barely started: more
  epochs or a larger rate.

When the run had a :class:`~neuroflow.callbacks.Diagnostics` callback (``--diagnostics``)
its most telling finding of the last epoch is quoted as the evidence.
"""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroflow.cli._args import EXIT_INTERRUPTED, EXIT_USAGE, UsageError
from neuroflow.errors import TrainingDivergedError
from neuroflow.files import WriteError

if TYPE_CHECKING:
    from neuroflow.cli._settings import TrainSettings

__all__ = ["is_root", "run_rate", "findings", "chance_level", "poor_accuracy", "divergence",
           "say", "report_stop",
           "report_write_failure", "save_model", "rank_status", "terminate_as_interrupt",
           "stoppable", "EVIDENCE", "EXIT_TERMINATED"]

#: The exit status after SIGTERM (128 + 15), as a shell reports a process it ended.
EXIT_TERMINATED = 143

#: Diagnostics finding kinds quoted as evidence, most telling first.
EVIDENCE = ("divergence", "exploding_gradient", "dead_relu", "saturation",
            "vanishing_gradient", "plateau")


def chance_level(network: Any) -> float | None:
    """The accuracy of guessing, :math:`1/k` for ``k`` classes (1/2 for binary
    cross-entropy, whose accuracy counts each yes/no output); ``None`` when the network
    does not classify (no accuracy is reported for it)."""
    if not network.loss.is_classification:
        return None
    if network.loss.name == "binary_cross_entropy":
        return 0.5
    return 1.0 / max(2, int(network.out_features))


def _rate_text(rate: float) -> str:
    return f"{rate:.3g}"


def _evidence(findings: Sequence[Any]) -> str:
    """The most telling finding of the last epoch that has any, as ``"message; "``."""
    if not findings:
        return ""
    last = max(finding.epoch for finding in findings)
    recent = [finding for finding in findings if finding.epoch == last]
    recent.sort(key=lambda f: EVIDENCE.index(f.kind) if f.kind in EVIDENCE else len(EVIDENCE))
    return f"{recent[0].message}; "


def poor_accuracy(accuracy: float, network: Any, learning_rate: float | None,
                  losses: Sequence[float], epochs: int, findings: Sequence[Any] = (),
                  predicted: Any = None) -> str | None:
    """The hint for a run whose final ``accuracy`` is below chance, or whose network
    answers one class for every sample, else ``None``.

    Parameters
    ----------
    accuracy : float
        The final accuracy (on held-out data when there is some), in [0, 1].
    network : Network
        The trained network (its loss and outputs give the chance level).
    learning_rate : float or None
        The rate the run used (``None``: a schedule, named as "the learning rate").
    losses : sequence of float
        The training loss of each epoch.
    epochs : int
        The ``--epochs`` given, suggested doubled when the run only started to learn.
    findings : sequence of Finding
        ``Diagnostics`` findings of the run, if any.
    predicted : array (n,), optional
        The predicted classes of the samples ``accuracy`` was measured on.
    """
    chance = chance_level(network)
    if chance is None:
        return None
    answers = np.unique(np.asarray(predicted)) if predicted is not None else np.array([])
    if accuracy < chance:
        start = f"the accuracy {accuracy:.1%} is below chance ({chance:.1%}): "
    elif answers.size == 1 and len(predicted) > 1 and (
            network.loss.name != "binary_cross_entropy" or network.out_features == 1):
        start = (f"the network answers class {answers[0]} for every sample (accuracy "
                 f"{accuracy:.1%}, chance {chance:.1%}): ")
    else:
        return None
    start += _evidence(findings)
    rate = "the learning rate" + ("" if learning_rate is None else
                                  f" {_rate_text(learning_rate)}")
    falling = len(losses) >= 2 and losses[-1] < 0.98 * losses[0]
    if falling:
        larger = "" if learning_rate is None else (
            f" or --learning-rate {_rate_text(learning_rate * 10)}")
        return (f"{start}the network has only started to learn ({rate} may be too small); "
                f"try --epochs {2 * epochs}{larger}")
    smaller = "a smaller one" if learning_rate is None else _rate_text(learning_rate / 100)
    return (f"{start}{rate} is probably too large; try --learning-rate {smaller} "
            "(neuroflow sweep compares several)")


def divergence(learning_rate: float | None, findings: Sequence[Any] = ()) -> str:
    """The hint for a run stopped because its loss or weights became NaN or infinite,
    which ends the error line (the error already names the learning rate as the usual
    cause): the setting to try, after the Diagnostics evidence when there is some."""
    smaller = "a smaller one" if learning_rate is None else _rate_text(learning_rate / 10)
    evidence = f"diagnostics: {_evidence(findings)}" if findings else ""
    return (f"{evidence}try --learning-rate {smaller} (ten times smaller; neuroflow sweep "
            "compares several)")


def next_steps(model: str, data: str) -> str:
    """Print, for a person at a terminal (not into a pipe or a file), the commands worth
    trying after training ``model`` on ``data``: explain one of its predictions (MNIST
    models), its summary, the playground, the tutorial. Returns the text."""
    steps = ["next:"]
    if data == "mnist":
        steps.append(f"  neuroflow explain {model} --sample 0   # one prediction and one "
                     f"gradient step, every number")
    steps += [f"  neuroflow summary {model}   # the layers and parameters saved",
              "  neuroflow playground   # watch a small network learn "
              "(pip install 'neuroflow[playground]')",
              "  docs/tutorial.md   # the ideas behind each step, one figure each"]
    text = "\n".join(steps)
    if sys.stdout.isatty():
        print(text)
    return text


def say(text: str | None) -> None:
    """Print a hint, when there is one, as one line on standard error."""
    if text:
        print(f"neuroflow train: hint: {text}", file=sys.stderr)


#: Data-reading options a resume command repeats when they differ from their default.
_RESUME_REPEATS = {"target": None, "missing": "fail", "delimiter": ",", "header": None,
                   "preset": None}


def _where(settings: TrainSettings, checkpoint: Any) -> str:
    if checkpoint.last_path is not None:
        return (f"the last checkpoint (epoch {checkpoint.last_epoch}) is at "
                f"{checkpoint.last_path}")
    if settings.resume:
        return f"the checkpoint {settings.resume} is unchanged"
    return "no epoch was completed, so no checkpoint was written"


def report_stop(settings: TrainSettings, error: BaseException, checkpoint: Any,
                learning_rate: float | None = None, findings: Sequence[Any] = ()) -> int:
    """Tell where the last checkpoint is after Ctrl-C (exit 130, with the command that
    resumes it), SIGTERM (the same, exit 143), divergence (exit 1, followed by the
    :func:`divergence` hint) or a checkpoint that could not be written
    (:class:`neuroflow.files.WriteError`: :func:`report_write_failure`)."""
    if isinstance(error, OSError):
        return report_write_failure(settings, error, checkpoint)
    where = _where(settings, checkpoint)
    terminated = bool(_TERMINATED)
    if isinstance(error, TrainingDivergedError):
        print(f"neuroflow train: error: {error}; {where}; "
              f"{divergence(learning_rate, findings)}", file=sys.stderr)
        return 1
    stopped = "terminated (SIGTERM)" if terminated else "interrupted"
    print(f"neuroflow train: {stopped}; {where}", file=sys.stderr)
    if (command := _resume_command(settings, checkpoint)) is not None:
        print(f"resume with: {command}", file=sys.stderr)
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def report_write_failure(settings: TrainSettings, error: OSError, checkpoint: Any) -> int:
    """A checkpoint or the final model could not be written to ``--out`` (disk full, I/O
    error): one error line naming ``--out``, what is on disk and the command that resumes
    from the last checkpoint written (when there is one); exit 2."""
    reason = os.strerror(error.errno) if error.errno else (str(error) or type(error).__name__)
    command = _resume_command(settings, checkpoint)
    print(f"neuroflow train: error: --out: cannot write {str(settings.out)!r} ({reason}); "
          f"{_where(settings, checkpoint)}" + (f"; resume with: {command}" if command else ""),
          file=sys.stderr)
    return EXIT_USAGE


def save_model(network: Any, settings: TrainSettings, checkpoint: Any) -> int | None:
    """Save the trained model to ``--out``; ``None`` when saved, else the exit status
    after :func:`report_write_failure` (the last checkpoint is the model, intact)."""
    try:
        network.save(settings.out, sign_key=settings.signing_key)
    except WriteError as error:
        return report_write_failure(settings, error, checkpoint)
    return None


def rank_status(error: BaseException) -> int:
    """The exit status of an MPI rank other than 0 that stopped with ``error`` (it reports
    nothing); an ``OSError`` is raised again: such a rank writes no checkpoint."""
    if isinstance(error, OSError):
        raise error
    return 1 if isinstance(error, TrainingDivergedError) else EXIT_INTERRUPTED


def _resume_command(settings: TrainSettings, checkpoint: Any) -> str | None:
    """The ``neuroflow train --resume ...`` command that continues the run from its last
    checkpoint (or the checkpoint it resumed), when there is one."""
    saved = checkpoint.last_path or settings.resume
    if saved is None:
        return None
    command = ["neuroflow", "train", "--resume", str(saved), "--data", settings.data]
    for key, default in _RESUME_REPEATS.items():
        value = getattr(settings, key, default)
        if value == default:
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            command.append(flag if value else f"--no-{key}")
        else:
            command += [flag, str(value)]
    command += ["--epochs", str(settings.epochs), "--batch-size", str(settings.batch_size)]
    if settings.validation_split:
        command += ["--validation-split", str(settings.validation_split)]
    return shlex.join(command)


#: Holds SIGTERM once one came while :func:`terminate_as_interrupt` was active.
_TERMINATED: list[int] = []


@contextmanager
def terminate_as_interrupt() -> Iterator[list[int]]:
    """While the block runs in the main thread, SIGTERM (``kill``, ``docker stop``,
    ``timeout``, schedulers) does what Ctrl-C does: during ``fit`` training stops after
    the current batch (the last epoch's checkpoint is intact), elsewhere
    ``KeyboardInterrupt`` is raised. Yields the list that holds ``SIGTERM`` once one came,
    so that the stop is reported as such, with exit status 143 rather than 130."""
    _TERMINATED.clear()

    def on_terminate(signum: int, frame: Any) -> None:
        _TERMINATED.append(signum)
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)  # fit's guard sets its flag; the default raises
        else:  # SIGINT ignored or default: stop here all the same
            raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_terminate)
    except ValueError:  # not the main thread: SIGTERM keeps its meaning
        yield _TERMINATED
        return
    try:
        yield _TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)
        _TERMINATED.clear()


def stoppable(command: Callable[[argparse.Namespace], int]
              ) -> Callable[[argparse.Namespace], int]:
    """``command`` run under :func:`terminate_as_interrupt`: a SIGTERM that stops it
    before training (while the data loads) prints one line and exits 143."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        with terminate_as_interrupt() as terminated:
            try:
                return command(args)
            except KeyboardInterrupt:
                if not terminated:
                    raise
                print("neuroflow train: terminated (SIGTERM)", file=sys.stderr)
                return EXIT_TERMINATED

    return run


def is_root(settings: TrainSettings) -> bool:
    """False on MPI ranks other than 0 under ``--distributed`` (they train silently)."""
    if not settings.distributed:
        return True
    try:
        # a face that needs the optional mpi4py extra (neuroflow[mpi]): imported on use
        from neuroflow.distributed import is_root as rank_is_root

        return rank_is_root()
    except ImportError as error:
        raise UsageError(f"--distributed: {error}") from None


def run_rate(settings: TrainSettings, net: Any) -> float | None:
    """The learning rate the run used: ``--learning-rate`` (or the preset's), or a
    resumed checkpoint's (``None`` for a schedule)."""
    if not settings.resume:
        return float(settings.learning_rate)
    rate = getattr(net.optimizer, "learning_rate", None)
    return None if callable(rate) or rate is None else float(rate)


def findings(diagnostics: Sequence[Any]) -> list[Any]:
    """Every finding of the run's Diagnostics callbacks."""
    return [finding for callback in diagnostics for finding in callback.findings]

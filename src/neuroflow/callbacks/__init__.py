"""Callbacks: objects the training loop notifies at the start and end of training,
epochs and batches.

``fit`` calls, in order: ``on_train_begin``, then for each epoch ``on_epoch_begin``,
``on_batch_begin``/``on_batch_end`` per batch, ``on_epoch_end(epoch, logs)``, and
finally ``on_train_end``. ``logs`` at epoch end holds ``loss`` (and ``accuracy`` for
classification), ``val_loss``/``val_accuracy`` with validation data, ``learning_rate``
and ``time`` (seconds). A callback ends training by setting
``self.network.stop_training = True``.

The protocol (:class:`Callback`, :class:`CallbackList`, :class:`History`) lives in
:mod:`neuroflow.hooks`; the callbacks, one concept per module:

========================  ===================================================
:mod:`.monitor`           :class:`EarlyStopping`, :class:`ReduceLROnPlateau`
:mod:`.schedule`          :class:`LearningRateScheduler`
:mod:`.logging`           :class:`CSVLogger`, :class:`LambdaCallback`
:mod:`.checkpoint`        :class:`ModelCheckpoint`
:mod:`.progress`          :class:`ProgressBar` (what ``verbose`` shows)
:mod:`.diagnostics`       :class:`Diagnostics` (what goes wrong, in words)
:mod:`.tensorboard`       :class:`TensorBoard` (event files; the ``tensorboard`` extra)
:mod:`.live`              :class:`LiveCurves` (curves redrawn in a notebook)
========================  ===================================================
"""

from neuroflow.callbacks.checkpoint import ModelCheckpoint
from neuroflow.callbacks.diagnostics import Diagnostics
from neuroflow.callbacks.live import LiveCurves
from neuroflow.callbacks.logging import CSVLogger, LambdaCallback
from neuroflow.callbacks.monitor import EarlyStopping, ReduceLROnPlateau
from neuroflow.callbacks.progress import ProgressBar
from neuroflow.callbacks.schedule import LearningRateScheduler
from neuroflow.callbacks.tensorboard import TensorBoard
from neuroflow.hooks import Callback, CallbackList, History

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ReduceLROnPlateau",
           "LearningRateScheduler", "CSVLogger", "LambdaCallback", "ModelCheckpoint",
           "ProgressBar", "Diagnostics", "TensorBoard", "LiveCurves"]

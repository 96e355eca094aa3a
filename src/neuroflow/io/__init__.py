"""Saving and loading models as one safetensors file: plain tensors and JSON, so loading
never executes code.

File layout (format 2.2)
------------------------
A standard safetensors file (8-byte little-endian header length, a JSON header, then the
raw tensor bytes). Tensors:

``layers.{i}.{key}``
    Every entry of ``network.layers[i].state()``: ``W (in_features, out_features)`` and
    ``b (out_features,)`` for :class:`~neuroflow.layers.Dense`, ``W (filters, channels,
    kh, kw)`` and ``b (filters,)`` for :class:`~neuroflow.layers.Conv2D`, plus any non-trained state
    of other layers (BatchNorm's running statistics, Dropout's ``fixed_mask`` when set).
    Stored in the network's dtype.
``optimizer.{index}.{slot}``
    The optimiser's per-parameter state (``Optimizer.state_dict()``), when saved.
``preprocessing.{key}``
    Arrays of ``network.preprocessing.state()``, when the network has preprocessing
    (a ``Pipeline``'s as ``preprocessing.{step}.{key}``, format 2.2).
``callbacks.{index}.{key}``
    Arrays of a stateful callback's state (e.g. EarlyStopping's best weights).

The header's ``__metadata__`` (string to string) holds:

``format``            ``"neuroflow"``
``format_version``    ``"MAJOR.MINOR"`` (:data:`FORMAT_VERSION`). A reader accepts any minor
                      version of its own major version (minor versions only add optional
                      fields), reads major version 1 (neuroflow 0.1) with a
                      :class:`~neuroflow.errors.ModelFileWarning` (refused with
                      ``strict=True``, with a key, and when the file holds any field
                      format 1 does not have), and refuses a newer major version with a
                      clear message.
``architecture``      JSON of :meth:`Network.get_config`: layers (type, sizes, activation,
                      initialiser, ...), loss and dtype.
``sha256``            hex SHA-256 of the whole file's content (:func:`file_digest`): every
                      other metadata field, in sorted key order, as ``key NUL value NUL``,
                      then ``NUL`` and every tensor, in sorted name order, as ``name NUL
                      dtype NUL shape NUL bytes`` (dtype as kind and size, e.g. ``f4``;
                      shape as comma-separated integers; bytes little-endian, C order).
                      Format 1 hashed the tensors only (:func:`tensor_digest`). It
                      detects corruption, not tampering: whoever edits a file can compute
                      it again.
``hmac_sha256``       optional (signed files): hex HMAC-SHA256 with the signer's secret
                      key over the same bytes as ``sha256``, without the ``sha256`` and
                      ``hmac_sha256`` fields (:func:`file_signature`); ``sha256`` is
                      computed after it, so it covers it. ``load(path, key=...)`` refuses
                      unsigned, mis-signed and format-1 files.
``training``          optional JSON: ``epochs_trained``, ``seed``, ``rng`` (the bit
                      generator's state, whose ``bit_generator`` names its type),
                      ``history`` (:meth:`History.to_dict`), ``optimizer`` (``{"config":
                      ..., "iterations": ...}`` or null), ``run`` (the last ``fit``'s batch
                      size, shuffling, sample counts and data fingerprint, which resuming
                      checks; or null) and ``callbacks`` (stateful callbacks' states:
                      ``[{"type", "state", "arrays"}]``; optional).
``class_names``       optional JSON list of the output classes' original labels (one per
                      class, all different).
``feature_names``     optional JSON list of the input columns' names (one per input).
``preprocessing``     optional JSON config of ``network.preprocessing``.
``neuroflow_version`` the version that wrote the file (informational, but hashed).

:func:`capture` produces exactly these fields from a network; :func:`save`,
:meth:`Network.copy` and resuming all use it, so no path can forget one. Loading checks
the file's type and size before reading it, then the safetensors header as a whole
(:mod:`neuroflow.io.header`: every key, type, length and range, before any field is
used), then everything else (format, version, the hash, the signature when a key is
given, JSON structure, every tensor's name, dtype, shape and finiteness against the
architecture) before building the network, and raises
:class:`~neuroflow.errors.ModelFileError` (a :class:`ValueError`) for any defect. Names
found in the file are only ever looked up in neuroflow's own registries.

Saving is atomic (:func:`neuroflow.files.write_atomic`): the target is always either the
old complete file or the new one.
"""

from neuroflow.io.format import (
    FORMAT,
    FORMAT_VERSION,
    SIGNATURE_KEY,
    file_digest,
    file_signature,
    tensor_digest,
)
from neuroflow.io.format import _jsonable as _jsonable  # used by tests (RNG states as JSON)
from neuroflow.io.reader import from_bytes, load
from neuroflow.io.state import copy, is_finite, load_into
from neuroflow.io.writer import capture, save, to_bytes
from neuroflow.services import provide

__all__ = [
    "save", "load", "to_bytes", "from_bytes", "load_into", "FORMAT", "FORMAT_VERSION",
    "capture", "copy", "is_finite", "file_digest", "tensor_digest", "file_signature",
    "SIGNATURE_KEY",
]

provide("save", save)
provide("copy", copy)

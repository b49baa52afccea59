"""A skorch callback: each fit's epochs in a TensorBoard run of their own.

Importing this module imports skorch and PyTorch; ``sklearn_tune.callbacks``
loads it only when ``TensorBoardEpochLogger`` is asked for.
"""

from __future__ import annotations

import os
import time
import uuid

from skorch.callbacks import TensorBoard
from skorch.callbacks.logging import rename_tensorboard_key

from ._logging import readable
from ._tensorboard import _make_writer


class TensorBoardEpochLogger(TensorBoard):
    """Write each fit's epochs to TensorBoard, in a folder of its own.

    A skorch callback for the ``callbacks`` of a skorch net, such as
    :class:`~sklearn_tune.nn.FineTuneClassifier`. After every epoch it writes
    the numbers of the net's history as skorch's ``TensorBoard`` does
    (``Loss/train_loss``, ``Loss/valid_loss``, ``valid_acc``, ...; step = the
    epoch), and at the start of a fit the net's parameters as the text
    ``params``. Unlike skorch's callback, which holds one open writer, it
    opens a new writer for every fit, in a new sub-folder
    ``fit-<date>-<time>-<id>`` of ``log_dir``: a search clones the net for
    every candidate and CV split, in several processes with ``n_jobs``, and
    each of those fits gets its own curves.

    Parameters
    ----------
    log_dir : str or path-like, default="runs"
        Folder that receives one sub-folder per fit.
    keys_ignored : str, list of str or None, default=None
        History keys not to write, besides those skorch leaves out (``epoch``,
        ``batches``, ``*_best``, ``*_batch_count``, ``event_*``).
    key_mapper : callable, default=skorch.callbacks.logging.rename_tensorboard_key
        Maps a history key to its TensorBoard tag (skorch's puts keys that
        start with ``train`` or ``valid`` under ``Loss/``).

    Attributes
    ----------
    fit_log_dir_ : str
        The sub-folder of the last fit.

    See Also
    --------
    TensorBoardLogger : The candidates of a search, in TensorBoard.

    Examples
    --------
    >>> from sklearn_tune.callbacks import TensorBoardEpochLogger
    >>> from sklearn_tune.nn import FineTuneClassifier
    >>> net = FineTuneClassifier(
    ...     "resnet8", callbacks=[("tensorboard", TensorBoardEpochLogger("runs/nets"))]
    ... )
    """

    def __init__(
        self, log_dir="runs", keys_ignored=None, key_mapper=rename_tensorboard_key
    ):
        self.log_dir = log_dir
        self.keys_ignored = keys_ignored
        self.key_mapper = key_mapper

    close_after_train = True  # read by skorch's TensorBoard

    # skorch's TensorBoard writes through ``self.writer``; skorch takes every
    # attribute of a callback not ending in "_" for a parameter, so the
    # writer of the fit under way is kept as ``writer_``.
    @property
    def writer(self):
        """The writer of the fit under way; None between fits."""
        return self.__dict__.get("writer_")

    @writer.setter
    def writer(self, value):
        self.writer_ = value

    def on_train_begin(self, net, **kwargs):
        self._close()  # a fit that raised left its writer open
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.fit_log_dir_ = os.path.join(
            os.fspath(self.log_dir), f"fit-{stamp}-{uuid.uuid4().hex[:8]}"
        )
        self.writer = _make_writer(self.fit_log_dir_)
        params = net.get_params(deep=False)
        lines = [f"{name}: {readable(params[name])}" for name in sorted(params)]
        self.writer.add_text("params", "  \n".join(lines), 0)

    def on_train_end(self, net, **kwargs):
        self._close()

    def _close(self):
        writer, self.writer = self.writer, None  # a net holding it would not pickle
        if writer is not None:
            writer.close()

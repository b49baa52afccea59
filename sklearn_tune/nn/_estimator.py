"""Fine-tuning estimators on skorch whose knobs are flat scikit-learn parameters.

:class:`FineTuneClassifier` and :class:`FineTuneRegressor` are skorch nets
(``NeuralNetClassifier`` / ``NeuralNetRegressor`` subclasses): everything skorch
takes still works (``module__*``, ``optimizer__*``, ``callbacks``,
``iterator_train__*``, ``callbacks__<name>__*``). What they add is a set of flat
parameters, such as ``optimizer="adamw"``, ``lr``, ``warmup_epochs`` or
``n_trainable_stages``, that the searchers tune by name. A routed parameter
given explicitly (``optimizer__eps=1e-6``,
``callbacks__early_stopping__threshold``) wins over the flat knob.

This file holds the estimators and their training calls (``fit``,
``partial_fit``, ``resume``, the forward pass and the training step); each
other job has a file of its own: parameter validation (``_validation``), data
checks and encoding (``_data``, ``_images``), device, precision and
out-of-memory handling (``_device``), building the net (``_build``), the
optimizer recipe and schedule (``_optim``), checkpoints (``_checkpoint``) and
the shared docstring fragments (``_docs``).
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Mapping

import numpy as np
import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import (
    Callback,
    EarlyStopping,
)
from skorch.dataset import get_len
from skorch.history import History
from skorch.utils import is_dataset, to_tensor
from torch import nn

from ._augment import builtin_names, make_transform
from ._build import _BuildMixin
from ._checkpoint import check_resumable, read_training_state, restore_random_state
from ._data import _DataMixin, check_labels, check_targets
from ._device import (
    _DeviceMixin,
    enable_cudnn_benchmark,
    is_out_of_memory,
    use_channels_last,
)
from ._docs import fill_doc
from ._freezing import make_freeze_plan
from ._images import (
    prepare_images,
)
from ._validation import PARAMETER_CONSTRAINTS, check_params, fail

__all__ = ["FineTuneClassifier", "FineTuneRegressor"]

_FIT_LOOP_ROUTES = (
    "_routing_method" in inspect.signature(NeuralNetClassifier.fit_loop).parameters
)


class _FineTuneMixin(_DeviceMixin, _DataMixin, _BuildMixin):
    """What both estimators add to skorch; see FineTuneClassifier's docstring."""

    def infer(self, x, **fit_params):
        """Forward pass of images prepared for the module (see ``_images``).

        Frozen BatchNorm layers stay in eval mode; ``transform`` augments
        the batch when the module trains; autocast if set.

        Parameters
        ----------
        x : torch.Tensor, array or mapping
            One batch of inputs.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        y_pred : torch.Tensor
            The module's output (float32 under autocast).
        """
        if isinstance(x, Mapping):
            return super().infer(x, **fit_params)
        plan = getattr(self, "freeze_plan_", None)
        if plan is not None and plan.frozen_norms and self.module_.training:
            for name in plan.frozen_norms:
                self.module_.get_submodule(name).eval()
        if isinstance(x, torch.Tensor):
            x = self._to_device(x)
        else:
            x = to_tensor(x, device=self.device)
        x = prepare_images(
            x,
            getattr(self, "repeat_channels_", None),
            getattr(self, "normalize_", None),
            self.__dict__.setdefault("_device_constants", {}),
        )
        transform = self.__dict__.get("transform_")
        if transform is not None and self.module_.training:
            x = transform(x)  # training batches only: augmentation
        if self.__dict__.get("channels_last_") and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        dtype = self._amp_dtype()
        if dtype is None:
            return self.module_(x, **fit_params)
        with torch.autocast(torch.device(self.device).type, dtype=dtype):
            out = self.module_(x, **fit_params)
        if isinstance(out, torch.Tensor) and out.is_floating_point():
            out = out.float()
        return out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The criterion on a batch, as skorch's ``get_loss``.

        Parameters
        ----------
        y_pred : torch.Tensor
            The module's output.
        y_true : torch.Tensor or array
            The targets of the batch.
        X : object, default=None
            The batch's inputs (unused, as in skorch).
        training : bool, default=False
            Whether the batch trains (unused, as in skorch).

        Returns
        -------
        loss : torch.Tensor
        """
        if isinstance(y_true, torch.Tensor) and not isinstance(
            self.criterion_, torch.nn.NLLLoss
        ):
            return self.criterion_(y_pred, self._to_device(y_true))
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def notify(self, method_name, **cb_kwargs):
        """Call the hook ``method_name`` of the net and its callbacks, as skorch.

        Callbacks' hooks that their class does not override are skorch's empty
        ones and are not called: three hooks per batch on some ten callbacks cost, for a
        small model, a sizeable part of a training step.

        Parameters
        ----------
        method_name : str
            ``"on_train_begin"``, ``"on_batch_end"``, ...
        **cb_kwargs : dict
            The hook's arguments.
        """
        getattr(self, method_name)(self, **cb_kwargs)  # the net's keeps history
        for hook in self._hooks(method_name):
            hook(self, **cb_kwargs)

    def _hooks(self, method_name):
        """The callbacks' hooks ``method_name`` that do something, in order.

        Looked up once per list of callbacks (skorch builds a new list when
        it initializes them) and hook.
        """
        callbacks = self.callbacks_
        cache = self.__dict__.get("_hooks_cache")
        if cache is None or cache[0] is not callbacks or cache[1] != len(callbacks):
            cache = (callbacks, len(callbacks), {})
            self.__dict__["_hooks_cache"] = cache
        hooks = cache[2].get(method_name)
        if hooks is None:
            empty = getattr(Callback, method_name, None)
            hooks = [
                getattr(callback, method_name)
                for _, callback in callbacks
                if empty is None
                or getattr(type(callback), method_name, None) is not empty
            ]
            cache[2][method_name] = hooks
        return hooks

    # The loss of each batch stays on the device until this many batches
    # have run, and at the end of each epoch: reading it is a host sync,
    # which makes the CPU wait for the GPU to finish its queue of work.
    _batches_per_loss_read = 50

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One epoch over the batches of ``iterator``, as skorch runs it.

        The same hooks and history entries (``<prefix>_loss``,
        ``<prefix>_batch_size``, ``<prefix>_batch_count``) as skorch, written
        with less work per batch. The losses of the batches are kept on the
        device and read together (one host sync) every
        ``_batches_per_loss_read`` batches and at the end of the epoch,
        before the ``on_epoch_end`` hooks; only then does each batch's
        history row get its ``<prefix>_loss``. A training loss that is not
        finite stops the fit at that read, naming the first such batch (a
        diverged fit would train on NaN to the end).

        Parameters
        ----------
        iterator : iterable or None
            The batches; None skips the epoch (no validation set).
        training : bool
            Whether the batches train.
        prefix : str
            ``"train"`` or ``"valid"``.
        step_fn : callable
            ``train_step`` or ``validation_step``.
        **fit_params : dict
            Passed to ``step_fn``.
        """
        if iterator is None:
            return
        history = self.history
        n_batches = 0
        accumulate = training and self.accumulate_grad_batches > 1
        if accumulate:
            try:
                self._batches_left_in_epoch = len(iterator)
            except TypeError:  # no length: the last group is flushed below
                self._batches_left_in_epoch = None
            self._micro_batches_left = 0
        unread = []  # (history row, loss on the device) of batches not read yet
        batch = None
        try:
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                Xb = batch[0] if isinstance(batch, (tuple, list)) else batch
                row = list.__getitem__(history, -1)["batches"][-1]  # a dict
                unread.append((row, step["loss"].detach()))
                row[f"{prefix}_batch_size"] = (
                    len(Xb) if isinstance(Xb, torch.Tensor) else get_len(Xb)
                )
                if len(unread) >= self._batches_per_loss_read:
                    self._record_losses(unread, prefix, check=training)
                    unread = []
                self.notify("on_batch_end", batch=batch, training=training, **step)
                n_batches += 1
        except KeyboardInterrupt:  # Ctrl-C: the batches done keep their loss
            self._record_losses(unread, prefix, check=False)
            raise
        self._record_losses(unread, prefix, check=training)
        if accumulate and self._micro_batches_left:
            self._micro_batches_left = 0
            # the batches of an unfinished group
            self._optimizer_step(batch, getattr(self, "grad_scaler_", None))
        history.record(f"{prefix}_batch_count", n_batches)

    def _record_losses(self, unread, prefix, check):
        """Read the batches' losses at once; write them to their history rows.

        With ``check``, a loss that is not finite raises the divergence
        error, naming the first such batch.
        """
        if not unread:
            return
        losses = torch.stack([loss.float().reshape(()) for _, loss in unread])
        rows = [row for row, _ in unread]
        losses = losses.tolist()  # the host sync
        for row, loss in zip(rows, losses):
            row[f"{prefix}_loss"] = loss
        diverged = [i for i, loss in enumerate(losses) if not math.isfinite(loss)]
        if check and diverged:
            batches = list.__getitem__(self.history, -1)["batches"]
            row = rows[diverged[0]]
            n_batch = next(i for i, b in enumerate(batches, 1) if b is row)
            raise self._diverged(losses[diverged[0]], n_batch)

    def _diverged(self, loss, n_batch):
        epoch = len(self.history)
        lrs = sorted({group["lr"] for group in self.optimizer_.param_groups})
        return FloatingPointError(
            f"{type(self).__name__}: the training loss is {loss} in epoch "
            f"{epoch}, batch {n_batch} (learning rates {lrs}): the fit diverged "
            "and was stopped. Use a smaller lr, gradient clipping "
            "(grad_clip_norm=1.0), a warm-up (warmup_epochs=1), or "
            "mixed_precision='no'."
        )

    def _train(self, X, y, routing_method, epochs=None, **fit_params):
        self.freeze_plan_ = make_freeze_plan(self.module_, self.n_trainable_stages)
        if len(self.history):
            # Training goes on (partial_fit, warm_start), so the freezer, which
            # acts in the first epoch, will not: apply the plan now, which lets
            # set_params(n_trainable_stages=...) unfreeze stage after stage.
            frozen = set(self.freeze_plan_.frozen)
            for name, param in self.module_.named_parameters():
                param.requires_grad_(name not in frozen)
        # Every layer back in training mode: the normalisation layers of
        # stages frozen before (in eval mode) train again if the new plan
        # unfroze them; infer puts those of frozen stages back in eval mode.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_", None)
            if isinstance(module, nn.Module):
                module.train()
        # Tensors (sharing the arrays' memory) batch by indexing (see
        # get_iterator), much faster than sample by sample.
        if isinstance(X, np.ndarray):
            X = torch.from_numpy(X)
        if isinstance(y, np.ndarray):
            y = torch.from_numpy(y)
        device = self._torch_device()
        self.channels_last_ = use_channels_last(
            self.channels_last, device, self.module_
        )
        if self.channels_last_:
            self.module_.to(memory_format=torch.channels_last)
        self._keep_or_make_grad_scaler(device)
        if self.verbose and self.train_split is None and self.validation_fraction:
            print(
                f"{type(self).__name__}: holding out validation_fraction="
                f"{self.validation_fraction} of the {len(X)} training samples as "
                "the validation set."
            )
        self.notify("on_train_begin", X=X, y=y)
        if use_channels_last("auto", device, self.module_):  # convolutions on CUDA
            enable_cudnn_benchmark()
        try:
            if _FIT_LOOP_ROUTES:  # skorch >= 1.4 resolves metadata routing by caller
                fit_params = {"_routing_method": routing_method, **fit_params}
            with self._data_on_device_scope():
                self.fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping stops with KeyboardInterrupt and skorch
            # swallows every one of them; a real Ctrl-C must reach the caller
            # (a search stops, instead of scoring a half-trained net).
            if not any(
                isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                for _, cb in self.callbacks_
            ):
                raise
        self.notify("on_train_end", X=X, y=y)
        return self

    def _keep_or_make_grad_scaler(self, device):
        """The ``GradScaler`` of a float16 fit, whose scale goes on with the fit.

        The scale it found (lowered by overflows, raised after steps without
        any) goes on with ``partial_fit``, ``warm_start`` and ``resume``
        (whose state file holds it), as the optimizer's state does; a new
        fit starts from torch's initial scale. The scaler is made for the
        net's device, which may have changed between two calls.
        """
        previous = self.__dict__.get("grad_scaler_") if len(self.history) else None
        self.grad_scaler_ = None
        if self._amp_dtype() != torch.float16:
            return
        self.grad_scaler_ = torch.amp.GradScaler(device.type)
        state = {} if previous is None else previous.state_dict()
        if state:  # empty: a scaler torch disabled (no CUDA) has no scale
            self.grad_scaler_.load_state_dict(state)

    def _fit(self, X, y, fit_params, *, partial, classes=None, resume=None):
        method = "partial_fit" if partial else "fit"
        check_params(self)
        self._check_fit_params(fit_params, method)
        X = self._check_X(X)
        self._check_lengths(X, y)
        first = not (partial or self.warm_start) or not self.initialized_
        if not first:
            self._check_optimizer_unchanged(method)
        if resume is not None:
            check_resumable(self, *resume)
        # a net built with initialize() (e.g. to load_params) sees data here first
        new_data = first or not hasattr(self, "n_outputs_")
        if not new_data:
            self._check_input_shape(X, method)
        y = self._check_y(X, y, reset=new_data, classes=classes)
        # a Dataset is checked on its first samples, as arrays are on all
        sample = self._check_dataset(X, y) if is_dataset(X) else X
        if new_data:
            self._set_input_shape(sample)
        self.transform_ = make_transform(self.transform)
        if builtin_names(self.transform) and not (
            isinstance(sample, Mapping) or len(sample.shape) == 4
        ):
            fail(
                self,
                "transform",
                self.transform,
                f"{builtin_names(self.transform)} augment images of shape "
                "(n_samples, channels, height, width); X has shape "
                f"{tuple(sample.shape)}.",
                "Use transform=None for this data, or a callable that fits it.",
            )
        message = None
        # a resumed fit goes on drawing where the stopped one was; one that
        # goes on training draws from seed_ and the epochs already trained
        seeded = (
            self._seeded(fork=resume is not None)
            if first
            else self._seeded(epochs_done=len(self.history_))
        )
        try:
            with seeded:
                if first:
                    self.initialize()
                if new_data:
                    self._check_forward(sample)
                epochs = None
                if resume is not None:
                    epochs = self._load_training_state(*resume)
                if not first:
                    self._update_optimizer()
                self._resume_epoch = 0 if resume is None else resume[0]["epoch"]
                try:
                    self._train(
                        X,
                        y,
                        "partial_fit" if partial else "fit",
                        epochs=epochs,
                        **fit_params,
                    )
                finally:
                    self._resume_epoch = 0
        except RuntimeError as err:
            if not is_out_of_memory(err):
                raise
            message = str(err).splitlines()[0] if str(err) else "out of memory."
        if message is not None:  # outside the except block: its frames are gone
            raise self._out_of_memory(message)
        return self

    def _load_training_state(self, state, path):
        """Load a stopped fit's state into the new net; return the epochs left."""
        try:
            self.module_.load_state_dict(state["module"])
            self.optimizer_.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(
                f"{type(self).__name__}.resume({os.fspath(path)!r}): the saved state "
                f"does not fit this net ({type(err).__name__}: {err}). Resume with "
                "the parameters of the fit that wrote it."
            ) from err
        self.history = History(state["history"])
        restore_random_state(state, self._torch_device())
        self._keep_or_make_grad_scaler(self._torch_device())
        scaler_state = state.get("grad_scaler")
        if self.grad_scaler_ is not None and scaler_state:
            self.grad_scaler_.load_state_dict(scaler_state)
        checkpoint = dict(self.callbacks_).get("checkpoint")
        if checkpoint is not None:
            checkpoint.resume_from(state, path)
        return max(self.max_epochs - state["epoch"], 0)

    def resume(self, state_file, X, y=None, **fit_params):
        """Finish a fit that was stopped, from its state in ``checkpoint_dir``.

        The net is built, the module, optimizer, history and torch's random
        state of the stopped fit are loaded from ``state_file``, and training
        goes on for the epochs of its ``max_epochs`` that were not done, on
        the same learning-rate schedule, drawing the same shuffles, dropout
        masks and augmentations: with an int ``random_state``, on the CPU,
        the result is the fit that was not stopped (unless early stopping,
        which counts its patience anew, stops it). The caller's torch random
        state is left as it was. Resuming with another ``optimizer`` than the
        stopped fit's is refused before anything is built.

        Parameters
        ----------
        state_file : str or path-like
            The ``fit-<pid>-<id>-state.pt`` file the fit left in
            ``checkpoint_dir``; removed once the fit has finished.
        X : array-like, torch tensor or torch Dataset
            The training data of the stopped fit, as for :meth:`fit`.
        y : array-like or None, default=None
            Its targets, as for :meth:`fit`.
        **fit_params : dict
            As for :meth:`fit`.

        Returns
        -------
        self : object
        """
        state = read_training_state(state_file)
        return self._fit(X, y, fit_params, partial=False, resume=(state, state_file))

    def fit(self, X, y, **fit_params):
        """Build the net (unless ``warm_start``) and train it.

        Parameters and data are checked first, so that a mistake fails before
        any training. With an ``int`` ``random_state`` the fit is reproducible on
        the CPU; the caller's torch random state is left untouched.

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs; images of shape (n_samples, channels, height, width) for the
            ResNets, or channels last (see ``image_layout``). ``uint8`` images
            are scaled to [0, 1]; other integer and float64 arrays are
            converted to float32. A pandas DataFrame may hold ``bool`` and
            nullable (``Int64``, ``boolean``) columns, taken as floats as
            scikit-learn takes them; ``category`` and string columns must be
            encoded first (e.g. a ``OneHotEncoder`` in a Pipeline).
        y : array-like of shape (n_samples,) or (n_samples, n_targets), or None
            Targets; None when ``X`` is a Dataset that yields them.
        **fit_params : dict
            Passed to the module's ``forward`` and to ``train_split``, as in
            skorch.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, fit_params, partial=False)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train ``max_epochs`` more epochs (building the net first if needed).

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.
        y : array-like or None, default=None
            Targets, as for :meth:`fit`.
        classes : array-like, default=None
            All class labels, for a classifier's first call when ``y`` may not
            show every class (as in scikit-learn's ``partial_fit``).
        **fit_params : dict
            As for :meth:`fit`.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, fit_params, partial=True, classes=classes)

    def _predict_output(self, X):
        message = None
        X = self._check_X(X)
        self._check_input_shape(X, "predict")
        try:
            with self._data_on_device_scope():
                return super().predict_proba(X)
        except RuntimeError as err:
            if not is_out_of_memory(err):
                raise
            message = str(err).splitlines()[0] if str(err) else "out of memory."
        raise self._predict_out_of_memory(message)


@fill_doc
class FineTuneClassifier(_FineTuneMixin, NeuralNetClassifier):
    """Fine-tune a PyTorch network for classification, with flat knobs to tune.

    A skorch ``NeuralNetClassifier`` whose fine-tuning hyperparameters
    (optimizer family and its settings, warm-up and schedule, clipping,
    freezing, discriminative learning rates, early stopping) are plain
    parameters, so that :class:`~sklearn_tune.BayesSearchCV` and
    :class:`~sklearn_tune.GeneticSearchCV` tune them by name. Labels may be
    any values (as in scikit-learn): they are encoded for the loss and
    ``predict`` returns them.

    Parameters
    ----------
    {nn_parameters}
    {nn_classifier_loss}
    {nn_training}

    Attributes
    ----------
    {nn_attributes}
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    See Also
    --------
    FineTuneRegressor : The same for regression.
    sklearn_tune.nn.make_finetune_space : A search space over these knobs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tune.nn import FineTuneClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(32, 1, 8, 8).astype("float32")
    >>> y = np.array(["cat", "dog"] * 16)
    >>> clf = FineTuneClassifier("resnet8", max_epochs=2, random_state=0, device="cpu")
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = dict(PARAMETER_CONSTRAINTS)

    def __init__(
        self,
        module,
        *,
        weights=None,
        n_trainable_stages=None,
        backbone_lr_scale=1.0,
        optimizer="adamw",
        lr=1e-3,
        momentum=0.9,
        beta1=0.9,
        beta2=None,
        eps=1e-8,
        weight_decay=0.0,
        decay_norm_and_bias=True,
        warmup_epochs=0,
        warmup_batches=0,
        lr_schedule="constant",
        step_size=10,
        gamma=0.1,
        grad_clip_norm=None,
        accumulate_grad_batches=1,
        batch_size=64,
        predict_batch_size=None,
        max_epochs=10,
        validation_fraction=None,
        patience=None,
        checkpoint_dir=None,
        device="auto",
        data_on_device="auto",
        channels_last="auto",
        mixed_precision="auto",
        image_layout="auto",
        normalize="auto",
        transform=None,
        random_state=None,
        criterion=torch.nn.CrossEntropyLoss,
        classes=None,
        train_split=None,
        callbacks=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            callbacks=callbacks,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.weights = weights
        self.n_trainable_stages = n_trainable_stages
        self.backbone_lr_scale = backbone_lr_scale
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.decay_norm_and_bias = decay_norm_and_bias
        self.warmup_epochs = warmup_epochs
        self.warmup_batches = warmup_batches
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.grad_clip_norm = grad_clip_norm
        self.accumulate_grad_batches = accumulate_grad_batches
        self.predict_batch_size = predict_batch_size
        self.data_on_device = data_on_device
        self.channels_last = channels_last
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.checkpoint_dir = checkpoint_dir
        self.mixed_precision = mixed_precision
        self.image_layout = image_layout
        self.normalize = normalize
        self.transform = transform
        self.random_state = random_state

    def _check_y(self, X, y, *, reset, classes=None):
        return check_labels(self, X, y, reset=reset, classes=classes)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._predict_output(X)

    def predict(self, X):
        """Predicted class labels (values of ``classes_``).

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


@fill_doc
class FineTuneRegressor(_FineTuneMixin, NeuralNetRegressor):
    """Fine-tune a PyTorch network for regression, with flat knobs to tune.

    The twin of :class:`FineTuneClassifier` on skorch's ``NeuralNetRegressor``:
    the head gets one output per target, ``y`` may be 1-D (``predict`` is then
    1-D too) and is trained in float32.

    Parameters
    ----------
    {nn_parameters}
    {nn_regressor_loss}
    {nn_training}

    Attributes
    ----------
    {nn_attributes}

    See Also
    --------
    FineTuneClassifier : The same for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_tune.nn import FineTuneRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(32, 1, 8, 8).astype("float32")
    >>> reg = FineTuneRegressor("resnet8", max_epochs=2, random_state=0, device="cpu")
    >>> reg.fit(X, X.mean(axis=(1, 2, 3))).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        k: v for k, v in PARAMETER_CONSTRAINTS.items() if k != "classes"
    }

    def __init__(
        self,
        module,
        *,
        weights=None,
        n_trainable_stages=None,
        backbone_lr_scale=1.0,
        optimizer="adamw",
        lr=1e-3,
        momentum=0.9,
        beta1=0.9,
        beta2=None,
        eps=1e-8,
        weight_decay=0.0,
        decay_norm_and_bias=True,
        warmup_epochs=0,
        warmup_batches=0,
        lr_schedule="constant",
        step_size=10,
        gamma=0.1,
        grad_clip_norm=None,
        accumulate_grad_batches=1,
        batch_size=64,
        predict_batch_size=None,
        max_epochs=10,
        validation_fraction=None,
        patience=None,
        checkpoint_dir=None,
        device="auto",
        data_on_device="auto",
        channels_last="auto",
        mixed_precision="auto",
        image_layout="auto",
        normalize="auto",
        transform=None,
        random_state=None,
        criterion=torch.nn.MSELoss,
        train_split=None,
        callbacks=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.weights = weights
        self.n_trainable_stages = n_trainable_stages
        self.backbone_lr_scale = backbone_lr_scale
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.decay_norm_and_bias = decay_norm_and_bias
        self.warmup_epochs = warmup_epochs
        self.warmup_batches = warmup_batches
        self.lr_schedule = lr_schedule
        self.step_size = step_size
        self.gamma = gamma
        self.grad_clip_norm = grad_clip_norm
        self.accumulate_grad_batches = accumulate_grad_batches
        self.predict_batch_size = predict_batch_size
        self.data_on_device = data_on_device
        self.channels_last = channels_last
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.checkpoint_dir = checkpoint_dir
        self.mixed_precision = mixed_precision
        self.image_layout = image_layout
        self.normalize = normalize
        self.transform = transform
        self.random_state = random_state

    def _check_y(self, X, y, *, reset, classes=None):
        return check_targets(self, X, y, reset=reset, classes=classes)

    def predict(self, X):
        """Predicted targets, 1-D when the net was trained on a 1-D ``y``.

        Parameters
        ----------
        X : array-like, torch tensor or torch Dataset
            Inputs, as for :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        y_pred = self._predict_output(X)
        if getattr(self, "y_ndim_", 2) == 1 and y_pred.ndim == 2:
            return y_pred[:, 0]
        return y_pred

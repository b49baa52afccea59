"""The data a fit gets: checked, brought to the module's form, batched, split.

Arrays, tensors and torch Datasets get the same checks before training
(shape, channels, values, labels, a forward pass of two samples), so that a
mistake fails before the first epoch with the fix; labels are encoded for the
loss (classifier) and targets made float32 columns (regressor).
"""

from __future__ import annotations

import inspect
import math
from collections import ChainMap
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import is_classifier
from skorch.dataset import Dataset, ValidSplit
from skorch.utils import is_dataset, to_numpy

from ._device import data_placement, is_out_of_memory
from ._images import (
    first_conv_in_channels,
    to_channels_first,
)
from ._resnet import (
    CifarResNet,
)
from ._validation import fail

# DataLoader settings that batching by indexing keeps
_BATCHED_LOADER_KEYS = {
    "batch_size",
    "shuffle",
    "drop_last",
    "num_workers",
    "pin_memory",
    "persistent_workers",
    "prefetch_factor",
    "timeout",
}


class _BatchedTensors(torch.utils.data.Dataset):
    """Tensors ``X`` and ``y`` indexed a whole batch at a time.

    ``X[indices][batch]``: ``indices`` selects a subset (a validation split)
    or is None. Without ``y`` (prediction) the targets are zeros, which
    nothing reads, as skorch's placeholder.
    """

    def __init__(self, X, y, indices=None):
        self.X = X
        self.y = y
        self.indices = indices

    def __len__(self):
        return len(self.X) if self.indices is None else len(self.indices)

    def __getitem__(self, batch):
        idx = torch.as_tensor(batch)
        if self.indices is not None:
            idx = self.indices[idx]
        yb = torch.zeros(len(idx)) if self.y is None else self.y[idx]
        return self.X[idx], yb


class _TensorBatches:
    """Batches of tensors by indexing, as a plain PyTorch loop makes them.

    Iterated once per epoch, reshuffled each time (torch's random state,
    which ``random_state`` seeds); without shuffling, batches are slices.
    The batch order is drawn on the tensors' device; with ``pin`` each
    batch is copied to page-locked memory, which the net sends to the GPU
    without waiting.
    """

    def __init__(
        self, X, y, indices, batch_size, shuffle=False, drop_last=False, pin=False
    ):
        self.X = X
        self.y = y
        self.indices = indices
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.pin = pin

    def __len__(self):
        n = len(self.X) if self.indices is None else len(self.indices)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        X, y, size = self.X, self.y, self.batch_size
        n = len(X) if self.indices is None else len(self.indices)
        order = None
        if self.shuffle:
            order = torch.randperm(n, device=X.device)
            if self.indices is not None:
                order = self.indices[order]
        elif self.indices is not None:
            order = self.indices
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            idx = (
                slice(start, start + size)
                if order is None
                else order[start : start + size]
            )
            Xb = X[idx]
            yb = torch.zeros(len(Xb), device=Xb.device) if y is None else y[idx]
            if self.pin:
                Xb, yb = Xb.pin_memory(), yb.pin_memory()
            yield Xb, yb


def _frame_to_floats(frame, name):
    """A DataFrame of numbers as float32 (missing values NaN), as scikit-learn.

    ``bool``, nullable ``Int64`` / ``Float64`` / ``boolean`` and other numeric
    columns become floats, as do ``object`` columns that hold numbers; any
    other column (``category``, strings, dates) must be encoded first.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_object_dtype

    other = []
    for column, dtype in frame.dtypes.items():
        if is_numeric_dtype(dtype) or is_bool_dtype(dtype):
            continue
        if is_object_dtype(dtype):
            try:
                frame[column].to_numpy(dtype=np.float32, na_value=np.nan)
                continue
            except (TypeError, ValueError):
                pass
        other.append((column, dtype))
    if other:
        listed = ", ".join(f"{column!r} ({dtype})" for column, dtype in other[:10])
        columns = [column for column, _ in other]
        raise ValueError(
            f"X has {len(other)} column(s) that are not numbers: {listed}"
            f"{', ...' if len(other) > 10 else ''}; {name} takes numbers only. "
            "Encode them in a Pipeline before the net, e.g. make_pipeline("
            "make_column_transformer((OneHotEncoder(handle_unknown='ignore'), "
            f"{columns!r}), remainder='passthrough'), {name}(...)), or with an "
            "OrdinalEncoder for ordered categories."
        )
    return frame.to_numpy(dtype=np.float32, na_value=np.nan)


def _pandas_to_floats(y):
    """Targets as an array; pandas' nullable numbers and booleans as floats."""
    if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):
        try:
            return y.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):  # not numbers: said by the caller
            pass
    return np.asarray(y)


def _indexable_tensors(dataset):
    """``(X, y, indices)`` of a skorch Dataset of tensors (or a Subset of one)."""
    indices = None
    if type(dataset) is torch.utils.data.Subset:
        indices = torch.as_tensor(dataset.indices, dtype=torch.long)
        dataset = dataset.dataset
    if type(dataset) is not Dataset:  # subclasses may transform samples
        return None
    X, y = dataset.X, dataset.y
    if not isinstance(X, torch.Tensor) or not (
        y is None or isinstance(y, torch.Tensor)
    ):
        return None
    return X, y, indices


class _DataMixin:
    """Data checks, batching and the validation split of the estimators."""

    # -- data -------------------------------------------------------------------

    def _image_module(self):
        """Whether the module takes 4-D images: the ResNets, torchvision's and
        timm's image models.

        A torchvision or timm model given as an instance takes images when it
        has a 2-D convolution (their video models have 3-D ones); given as a
        class, when it is a ResNet.
        """
        module = self.module
        if isinstance(module, str):
            return module != "mlp"
        cls = module if inspect.isclass(module) else type(module)
        if issubclass(cls, CifarResNet):
            return True
        if not cls.__module__.startswith(("torchvision.", "timm.")):
            return False
        if isinstance(module, torch.nn.Module):
            return first_conv_in_channels(module) is not None
        return cls.__name__ == "ResNet"

    def _check_X(self, X):
        """Arrays and tensors as float32, channels first; shape checks for images.

        4-D ``uint8`` images stay ``uint8`` (``infer`` scales each batch).
        """
        if is_dataset(X) or isinstance(X, Mapping):
            return X
        if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a pandas DataFrame
            X = _frame_to_floats(X, type(self).__name__)
        elif hasattr(X, "to_numpy"):  # pandas
            X = X.to_numpy()
        elif hasattr(X, "toarray"):  # SciPy sparse, e.g. from a OneHotEncoder
            X = X.toarray()
        if not isinstance(X, torch.Tensor):
            X = np.asarray(X)
        images = X.ndim == 4 and (self._image_module() or self.image_layout != "auto")
        if images:
            X = to_channels_first(X, self.image_layout, type(self).__name__)
        if isinstance(X, torch.Tensor):
            if not (images and X.dtype == torch.uint8) and X.dtype != torch.float32:
                X = X.float()
            shape = tuple(X.shape)
        else:
            if images and X.dtype == np.uint8:
                pass
            elif X.dtype.kind in "iub":
                X = X.astype(np.float32)
            elif X.dtype.kind == "f" and X.dtype != np.float32:
                X = X.astype(np.float32)
            elif X.dtype.kind != "f":
                raise ValueError(
                    f"X has dtype {X.dtype}; {type(self).__name__} needs numbers. "
                    "Convert X to a float array, e.g. np.asarray(X, dtype='float32')."
                )
            if not X.flags.writeable:  # torch takes only writable memory
                X = X.copy()
            shape = X.shape
            if X.size and X.dtype.kind == "f" and not np.isfinite(X).all():
                raise ValueError(
                    "X contains NaN or infinity. Impute or drop those values first."
                )
        if len(shape) < 2:
            raise ValueError(
                f"X has shape {shape}; {type(self).__name__} needs one row per "
                "sample, shape (n_samples, ...). Use X.reshape(-1, 1) for a single "
                "feature."
            )
        if isinstance(self.module, str) and self.module == "mlp" and len(shape) != 2:
            raise ValueError(
                f"X has shape {shape}, but module='mlp' takes tabular data of shape "
                "(n_samples, n_features). Flatten X first, e.g. "
                "X.reshape(len(X), -1)."
            )
        if self._image_module() and len(shape) != 4:
            side = int(round(math.sqrt(shape[1]))) if len(shape) == 2 else None
            hint = (
                f" e.g. X.reshape(-1, 1, {side}, {side}) for {side}x{side} grayscale "
                "images"
                if side and side * side == shape[1]
                else (
                    " e.g. X[:, None] for grayscale images" if len(shape) == 3 else ""
                )
            )
            raise ValueError(
                f"X has shape {shape}, but module={self._module_name()} takes images "
                "of shape (n_samples, channels, height, width). Reshape X first,"
                f"{hint}."
            )
        return X

    def _check_dataset(self, dataset, y):
        """The first samples of a torch Dataset, checked as arrays are.

        Returns the inputs of (up to) its first two samples as a batch, for the
        shape and forward checks; their targets are checked against the task.
        """
        try:
            n_samples = len(dataset)
        except TypeError:  # an IterableDataset: nothing to index
            return {}
        if n_samples == 0:
            raise ValueError("X is an empty Dataset; fit needs at least one sample.")
        items = [dataset[i] for i in range(min(2, n_samples))]
        pairs = all(
            isinstance(item, (tuple, list)) and len(item) == 2 for item in items
        )
        batch = torch.utils.data.default_collate(items)
        Xs, ys = (batch[0], batch[1]) if pairs else (batch, None)
        if isinstance(Xs, Mapping):
            return Xs
        checked = self._check_X(Xs)
        if tuple(checked.shape) != tuple(Xs.shape):
            raise ValueError(
                f"X is a Dataset of images of shape {tuple(Xs.shape[1:])}, channels "
                f"last; module={self._module_name()} takes (channels, height, "
                "width). Transpose them in the Dataset, e.g. "
                "image.permute(2, 0, 1), or give an array."
            )
        if y is None and ys is not None and is_classifier(self):
            codes = to_numpy(torch.as_tensor(ys)).ravel()
            n_classes = self.n_outputs_
            if (
                codes.dtype.kind not in "iu"
                or (codes < 0).any()
                or (codes >= n_classes).any()
            ):
                raise ValueError(
                    f"X is a Dataset whose first targets are {codes.tolist()}; "
                    f"{type(self).__name__} needs class indices 0 .. "
                    f"{n_classes - 1} for its {n_classes} classes "
                    f"{list(self.classes_)[:20]}. Make the Dataset yield the index "
                    "of each label in classes."
                )
        return checked

    def _module_name(self):
        module = self.module
        if isinstance(module, str):
            return repr(module)
        return getattr(module, "__name__", type(module).__name__)

    def _set_input_shape(self, sample):
        """Remember the shape of the inputs of a new fit (one sample's)."""
        if isinstance(sample, Mapping) or not hasattr(sample, "shape"):
            self._input_shape = None
            return
        shape = tuple(sample.shape)
        self._input_shape = shape[1:]
        self.in_channels_ = int(shape[1]) if len(shape) == 4 else None
        if len(shape) == 2:
            self.n_features_in_ = int(shape[1])
        else:
            self.__dict__.pop("n_features_in_", None)

    def _check_input_shape(self, X, method):
        """Inputs of the shape the net was fitted on, or a message with the fix."""
        fitted = self.__dict__.get("_input_shape")
        if fitted is None or is_dataset(X) or isinstance(X, Mapping):
            return
        shape = tuple(X.shape)
        name = type(self).__name__
        fix = (
            "Give X the columns of the training data, in the same order"
            if len(fitted) == 1
            else "Give X the layout of the training data"
        )
        fix += (
            "."
            if method == "predict"
            else "; to train on other data, call fit "
            "(with warm_start=False) to build a new net."
        )
        if len(shape) != len(fitted) + 1:
            raise ValueError(
                f"X has shape {shape}, but {name} was fitted on X of shape "
                f"(n_samples, {', '.join(map(str, fitted))}) and {method} takes "
                f"the same. {fix}"
            )
        if len(fitted) == 1 and shape[1] != fitted[0]:
            raise ValueError(
                f"X has {shape[1]} features, but {name} was fitted on "
                f"{fitted[0]} features (columns) and {method} takes as many. {fix}"
            )
        if len(fitted) == 3 and shape[1] != fitted[0]:
            raise ValueError(
                f"X holds images of {shape[1]} channel(s), but {name} was "
                f"fitted on images of {fitted[0]} channel(s) and {method} takes as "
                f"many. {fix}"
            )

    def _check_fit_params(self, fit_params, method):
        """Refuse ``sample_weight`` unless the module's ``forward`` takes it."""
        if "sample_weight" not in fit_params:
            return
        module = self.module
        if not isinstance(module, str):
            cls = module if inspect.isclass(module) else type(module)
            params = inspect.signature(cls.forward).parameters.values()
            if any(
                p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in params
            ):
                return  # skorch passes fit parameters to forward, as it does
        weight = fit_params["sample_weight"]
        given = f"shape {np.shape(weight)}" if weight is not None else "None"
        how = (
            "To weight classes, give the loss one weight per class, in the order "
            "of classes_: criterion__weight=torch.tensor([...]). To weight "
            "samples, "
            if is_classifier(self)
            else "To weight samples, "
        )
        raise TypeError(
            f"{type(self).__name__}.{method} got sample_weight ({given}), which it "
            "does not support: skorch passes fit parameters to the module's "
            f"forward, and module={self._module_name()} takes no sample_weight. "
            f"{how}resample the training rows in proportion to their weights "
            "before fitting, or leave sample_weight out (e.g. of a search's fit "
            "parameters)."
        )

    def _check_lengths(self, X, y):
        if y is None or is_dataset(X) or isinstance(X, Mapping):
            return
        n_x, n_y = len(X), len(y)
        if n_x != n_y:
            raise ValueError(
                f"X has {n_x} samples but y has {n_y}; give one target per row of X."
            )
        if n_x == 0:
            raise ValueError("X and y are empty; fit needs at least one sample.")

    def _check_validation_size(self, y, n_samples):
        if self.train_split is not None or not self.validation_fraction:
            return
        n_valid = math.ceil(self.validation_fraction * n_samples)
        n_classes = 1
        if is_classifier(self) and y is not None:  # a stratified split
            labels, counts = np.unique(y, return_counts=True)
            n_classes = len(labels)
            if counts.min() < 2:
                alone = labels[counts < 2].tolist()
                fail(
                    self,
                    "validation_fraction",
                    self.validation_fraction,
                    f"splits the training samples stratified by class, which "
                    f"needs 2 samples of each class; y has a single sample of "
                    f"class(es) {alone[:10]}.",
                    "Give each class 2 samples or more, use your own validation "
                    "set (train_split=skorch.helper.predefined_split(dataset)), "
                    "or validation_fraction=None and patience=None to train on "
                    "every sample.",
                )
        if is_classifier(self) and y is not None and n_valid < n_classes:
            need = min(n_classes / n_samples, 0.5)
            fail(
                self,
                "validation_fraction",
                self.validation_fraction,
                f"holds out {n_valid} of {n_samples} samples, fewer than the "
                f"{n_classes} classes; a stratified split needs one per class.",
                f"Use validation_fraction>={need:.2f}, or patience=None and "
                "validation_fraction=None to train on every sample.",
            )
        if n_samples - n_valid < n_classes:
            left = (
                "no training sample"
                if n_classes == 1
                else (
                    f"{n_samples - n_valid} training samples, fewer than the "
                    f"{n_classes} classes"
                )
            )
            fail(
                self,
                "validation_fraction",
                self.validation_fraction,
                f"leaves {left} out of {n_samples}.",
                "Use a smaller fraction.",
            )

    def _check_forward(self, X):
        """Run two samples through the new module: shape errors before training."""
        if is_dataset(X) or isinstance(X, Mapping) or len(X) == 0:
            return
        module = self.module_
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                out = self.infer(X[:2])
        except Exception as err:
            if is_out_of_memory(err):  # the fit frees the GPU and says so
                raise
            raise ValueError(
                f"module={self._module_name()} cannot process X of shape "
                f"{tuple(X.shape)} ({type(err).__name__}: {err}). Give X the shape "
                "the module expects: (n_samples, channels, height, width) for the "
                "ResNets, with the channels it was built for "
                "(module__in_channels)."
            ) from err
        finally:
            module.train(was_training)
        if isinstance(out, (tuple, list)):
            out = out[0]
        n_out = out.shape[1] if out.ndim == 2 else (1 if out.ndim == 1 else None)
        if n_out != self.n_outputs_:
            what = (
                f"{self.n_outputs_} classes {list(self.classes_)}"
                if is_classifier(self)
                else f"{self.n_outputs_} target(s)"
            )
            raise ValueError(
                f"module={self._module_name()} returns output of shape "
                f"{tuple(out.shape)} for 2 samples, but y has {what}: it needs one "
                f"output per {'class' if is_classifier(self) else 'target'}. End "
                f"the module with a torch.nn.Linear (which {type(self).__name__} "
                f"resizes to {self.n_outputs_} outputs) or build it with "
                f"{self.n_outputs_} outputs."
            )

    def get_iterator(self, dataset, training=False):
        """Batches of ``dataset``, indexed a batch at a time where possible.

        Tensors (what arrays become) are batched by indexing them with the
        batch's indices, as a plain PyTorch loop does, instead of skorch's
        sample-by-sample indexing and collation; other data, or an iterator
        given sampler or collate settings, go through skorch's iterator. A
        last training batch of one sample is dropped (it breaks BatchNorm in
        training mode; a different sample sits out each epoch, as batches are
        shuffled), unless ``iterator_train__drop_last`` is given.

        Parameters
        ----------
        dataset : torch Dataset
            The data to batch.
        training : bool, default=False
            Training batches (``iterator_train``) or not (``iterator_valid``).

        Returns
        -------
        iterator : torch DataLoader (or the iterator class set)
        """
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        try:
            n_samples = len(dataset)
        except TypeError:  # an IterableDataset
            return super().get_iterator(dataset, training)
        batch_size = kwargs.get(
            "batch_size", self.batch_size if training else self._predict_batch_size()
        )
        kwargs["batch_size"] = n_samples if batch_size == -1 else batch_size
        if training and "drop_last" not in kwargs:
            kwargs["drop_last"] = (
                n_samples > 1 and n_samples % kwargs["batch_size"] == 1
            )
        tensors = _indexable_tensors(dataset)
        if (
            tensors is None
            or iterator is not torch.utils.data.DataLoader
            or set(kwargs) - _BATCHED_LOADER_KEYS
        ):
            return iterator(dataset, **kwargs)
        if not set(kwargs) - {"batch_size", "shuffle", "drop_last"}:
            # no workers: batches straight from the tensors, no DataLoader
            X, y, indices, pin = self._placed(*tensors)
            return _TensorBatches(X, y, indices, pin=pin, **kwargs)
        batched = _BatchedTensors(*tensors)
        sampler = (
            torch.utils.data.RandomSampler(batched)
            if kwargs.pop("shuffle", False)
            else torch.utils.data.SequentialSampler(batched)
        )
        batches = torch.utils.data.BatchSampler(
            sampler, kwargs.pop("batch_size"), kwargs.pop("drop_last", False)
        )
        return torch.utils.data.DataLoader(
            batched, sampler=batches, batch_size=None, **kwargs
        )

    def _predict_batch_size(self):
        """Batch size of prediction and validation (``predict_batch_size``)."""
        if self.predict_batch_size is not None:
            return self.predict_batch_size
        return -1 if self.batch_size == -1 else 4 * self.batch_size

    @contextmanager
    def _data_on_device_scope(self):
        """Within a fit or prediction, each tensor goes to the device once.

        A prediction inside a fit (a callback's scoring, each epoch) uses the
        tensors the fit moved, which stay there until the fit ends; what the
        prediction alone moves is freed when it ends.
        """
        outer = self.__dict__.get("_placed_tensors")
        self.__dict__["_placed_tensors"] = {} if outer is None else ChainMap({}, outer)
        try:
            yield
        finally:
            if outer is None:
                self.__dict__.pop("_placed_tensors", None)
            else:
                self.__dict__["_placed_tensors"] = outer

    def _placed(self, X, y, indices):
        """``(X, y, indices, pin)`` where ``data_on_device`` puts them.

        On the device, the tensors are moved once per fit (the training and
        validation sets share them, and so do predictions within the fit)
        and per prediction: batches are then indexed there, with no copy
        from the host per batch. Whether they go is decided before anything
        moves, with the free memory of the device at that time; tensors
        already moved are not weighed again. ``pin``: batches of tensors on
        the CPU are copied to page-locked memory, which the net sends to a
        CUDA device without blocking.
        """
        device = self._torch_device()
        placed = self.__dict__.get("_placed_tensors")
        if placed is None:
            placed = {}
        # [X, placement, X there, y there]; X kept, so that its id is its own
        entry = placed.get(id(X))
        if entry is None:
            if X.device == device:
                return X, y, indices, False
            nbytes = X.nbytes + (0 if y is None else y.nbytes)
            placement = data_placement(self.data_on_device, device, nbytes)
            moved = X.to(device) if placement == "device" else None
            entry = placed[id(X)] = [X, placement, moved, None]
        _, placement, moved, moved_y = entry
        if placement != "device":
            return X, y, indices, placement == "pinned" and X.device.type == "cpu"
        if y is not None and moved_y is None:
            moved_y = entry[3] = y.to(device)
        X, y = moved, None if y is None else moved_y
        if indices is not None:
            indices = indices.to(device)
        return X, y, indices, False

    def check_data(self, X, y=None):
        """Data were checked and targets encoded before training; nothing to do."""

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split off the validation set: ``train_split`` or ``validation_fraction``."""
        if self.train_split is not None or not self.validation_fraction:
            return super().get_split_datasets(X, y, **fit_params)
        split = ValidSplit(
            self.validation_fraction,
            stratified=is_classifier(self) and y is not None,
            random_state=getattr(self, "seed_", None),
        )
        return split(self.get_dataset(X, y), y)


def check_labels(net, X, y, *, reset, classes=None):
    """Encode labels as 0 .. n_classes - 1 (after setting ``classes_`` if reset)."""
    if y is None:
        if not is_dataset(X):
            raise ValueError(
                "y is None; give the labels, or a torch Dataset as X that "
                "yields (input, label) pairs."
            )
        if reset:
            if net.classes is None and classes is None:
                raise ValueError(
                    "X is a Dataset and y is None: give classes=[...] so that "
                    "the head gets one output per class."
                )
            if classes is not None:
                net.classes_inferred_ = np.asarray(classes)
            net.n_outputs_ = len(net.classes_)
        return None
    y = to_numpy(y) if isinstance(y, torch.Tensor) else np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(
            f"y has shape {y.shape}; {type(net).__name__} takes one label per "
            "sample, shape (n_samples,). For one-hot targets pass "
            "y.argmax(axis=1)."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity; every sample needs a label.")
    if reset:
        if net.classes is None:
            labels = np.asarray(classes) if classes is not None else np.unique(y)
            net.classes_inferred_ = labels
        net.n_outputs_ = len(net.classes_)
    known = np.asarray(net.classes_)
    order = np.argsort(known, kind="stable")
    pos = np.clip(np.searchsorted(known, y, sorter=order), 0, len(known) - 1)
    codes = order[pos]
    bad = known[codes] != y
    if bad.any():
        outside = np.unique(y[bad])[:10].tolist()
        raise ValueError(
            f"y has labels {outside} outside the {len(known)} classes "
            f"{known.tolist()[:20]} (classes={net.classes!r}). Add them to "
            "classes, or leave classes=None to take the classes from y."
        )
    net._check_validation_size(y, len(y))
    return codes.astype(np.int64)


def check_targets(net, X, y, *, reset, classes=None):
    """Targets as float32 of shape (n_samples, n_targets)."""
    if y is None:
        if not is_dataset(X):
            raise ValueError(
                "y is None; give the targets, or a torch Dataset as X that "
                "yields (input, target) pairs."
            )
        if reset:
            net.n_outputs_ = getattr(net, "n_outputs_", None) or 1
            net.y_ndim_ = 2
        return None
    y = to_numpy(y) if isinstance(y, torch.Tensor) else _pandas_to_floats(y)
    if y.dtype.kind not in "iuf" or y.ndim not in (1, 2):
        raise ValueError(
            f"y has dtype {y.dtype} and shape {y.shape}; {type(net).__name__} "
            "takes numeric targets of shape (n_samples,) or (n_samples, "
            "n_targets)."
        )
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity; drop or impute those rows.")
    n_outputs = 1 if y.ndim == 1 else y.shape[1]
    if reset:
        net.n_outputs_ = n_outputs
        net.y_ndim_ = y.ndim
    elif n_outputs != net.n_outputs_:
        raise ValueError(
            f"y has {n_outputs} target(s) but the net was built for "
            f"{net.n_outputs_}; call fit (not partial_fit) to start over."
        )
    net._check_validation_size(y, len(y))
    return y.reshape(len(y), n_outputs).astype(np.float32)

"""numpydoc fragments of the fine-tuning estimators, for ``_docstrings``.

The parameters and attributes both estimators share are written once here and
put into their docstrings by :func:`sklearn_tune._docstrings._fill_doc_with`,
the templater of the searchers: a line holding only ``{nn_parameters}`` becomes
the fragment, indented as the line.
"""

from .. import _docstrings

NN_FRAGMENTS = {
    "nn_parameters": """\
module : str, torch.nn.Module class or instance
    The network. A name builds a ResNet with a head sized for the task:
    ``"resnet8"``, ``"resnet14"``, ``"resnet20"``, ``"resnet32"`` (the
    built-in :class:`CifarResNet`, for small images) or ``"resnet18"``,
    ``"resnet34"``, ``"resnet50"`` (torchvision's, imported only then).
    ``"mlp"`` builds a :class:`TabularMLP` for tabular data of shape
    (n_samples, n_features) (a ``ColumnTransformer``'s output; sparse
    matrices are made dense), sized from the data and set with
    ``module__hidden_layers``, ``module__units``, ``module__shrink``,
    ``module__dropout``, ``module__batch_norm`` and ``module__activation``. A
    class is built with the ``module__*`` parameters, as in skorch (with
    ``n_classes`` and ``in_channels`` filled in from the data when its
    signature has them); an instance is copied, so that ``fit`` never
    changes it (torchvision's and timm's models too). In every case the
    head is the last ``torch.nn.Linear`` (for a timm model, the classifier
    that its ``get_classifier()`` returns) and is replaced when its size
    does not fit the task.
weights : None, str, path-like or mapping, default=None
    Initial weights of the backbone; the head always starts fresh. None:
    random. A path of a state dict saved with ``torch.save`` (works offline;
    any module), or the state dict itself. For torchvision's ResNets, a
    weight name of torchvision's registry such as ``"DEFAULT"`` or
    ``"IMAGENET1K_V1"``.
n_trainable_stages : int or None, default=None
    How much of the backbone trains, counted from the head down: 0 trains
    the head only, 1 the head and the last stage, ... and None (or at least
    the number of stages: 4 for the built-in ResNets, 5 for torchvision's) a
    full fine-tune. Frozen stages keep their parameters (skorch's
    ``Freezer``) and their BatchNorm running statistics. See
    :func:`make_freeze_plan` for how any module is split into stages.
    Raising it with ``set_params`` between ``partial_fit`` calls unfreezes
    stage after stage (gradual unfreezing).
backbone_lr_scale : float, default=1.0
    Learning rate of the trainable backbone stages as a fraction of ``lr``
    (the head trains at ``lr``): discriminative learning rates, e.g. 0.1,
    to keep pretrained features from being overwritten (catastrophic
    forgetting).
optimizer : str or torch.optim.Optimizer subclass, default="adamw"
    ``"sgd"``, ``"momentum"``, ``"nesterov"`` (SGD), ``"adam"``, ``"adamw"``,
    ``"rmsprop"`` or ``"adagrad"``. Each uses only the knobs that apply to
    it and **ignores the others**:

    ========= ==============================================================
    sgd       lr, weight_decay
    momentum  lr, momentum, weight_decay
    nesterov  lr, momentum, weight_decay
    adam      lr, beta1, beta2, eps, weight_decay (L2 penalty in the gradient)
    adamw     lr, beta1, beta2, eps, weight_decay (decoupled decay)
    rmsprop   lr, beta2 (RMSprop's ``alpha``), eps, weight_decay
    adagrad   lr, eps, weight_decay
    ========= ==============================================================

    A torch optimizer class gets ``lr`` and the ``optimizer__*`` parameters
    only, as in skorch. ``optimizer__<name>`` always wins over a flat knob.
    The knobs set with ``set_params`` on a fitted net (``lr``,
    ``weight_decay``, ``momentum``, ``beta1``, ``beta2``, ``eps``,
    ``backbone_lr_scale``, ``decay_norm_and_bias``) apply to the next
    ``partial_fit`` or ``fit`` with ``warm_start=True``, the optimizer's
    state (momentum, moment estimates) kept; another ``optimizer`` needs a
    fit from scratch (``warm_start=False``).
lr : float, default=1e-3
    Learning rate of the head (and base of the schedule); > 0.
momentum : float, default=0.9
    Momentum of ``"momentum"`` and ``"nesterov"``; in [0, 1).
beta1 : float, default=0.9
    Adam's and AdamW's decay rate of the first moment estimate; in [0, 1).
beta2 : float or None, default=None
    Adam's and AdamW's decay rate of the second moment estimate, and
    RMSprop's smoothing constant ``alpha``; in [0, 1). None: torch's
    default of the optimizer, 0.999 for Adam and AdamW, 0.99 for RMSprop.
eps : float, default=1e-8
    Term added to the denominator (Adam, AdamW, RMSprop, Adagrad); > 0.
weight_decay : float, default=0.0
    Weight decay, for every optimizer; >= 0.
decay_norm_and_bias : bool, default=True
    Whether ``weight_decay`` applies to the biases and to the weights of
    normalisation layers (BatchNorm, LayerNorm, GroupNorm, ...) too.
    False puts those in parameter groups of their own with no weight
    decay, as most fine-tuning recipes do.
warmup_epochs : int, default=0
    Epochs of linear warm-up: in epoch ``e < warmup_epochs`` (from 0) the
    learning rate is ``lr * (e + 1) / (warmup_epochs + 1)``. A warm-up never
    takes a whole training call: it is cut to ``max_epochs - 1`` epochs, so
    that the last epoch of every call trains at the scheduled rate, however
    few epochs the call has (e.g. a low rung of a multi-fidelity search on
    ``max_epochs``); a call of one epoch has no warm-up.
warmup_batches : int, default=0
    A warm-up counted in training batches instead (only one of the two may
    be set): in batch ``b < warmup_batches`` of the call (from 0) the rate
    of the schedule is multiplied by ``(b + 1) / (warmup_batches + 1)``;
    cut, as ``warmup_epochs``, to the batches of the call but its last.
    The schedule is then stepped after every batch (``event_lr`` is
    recorded per batch, in ``history[:, "batches", :, "event_lr"]``), while
    ``"step"``, ``"exponential"`` and ``"cosine"`` still change once per
    epoch.
lr_schedule : {"constant", "step", "exponential", "cosine", "onecycle"}, \
        default="constant"
    Schedule after the warm-up, with ``t`` epochs since its end: ``lr``;
    ``lr * gamma ** (t // step_size)``; ``lr * gamma ** t``; or
    ``lr * (1 + cos(pi * t / (max_epochs - warmup_epochs))) / 2``. Applied
    by skorch's ``LRScheduler`` (a ``LambdaLR``) once per epoch; the rate of
    each epoch is in ``history[:, "event_lr"]``. Every ``fit`` and
    ``partial_fit`` call (and ``fit`` with ``warm_start=True``) runs a
    schedule of its own, warm-up included, counted from the first epoch of
    that call and starting from the base rate (``lr``, or what
    ``set_params(lr=...)`` set since): continued training never goes on
    at the end of the previous call's schedule. ``"onecycle"`` is torch's
    ``OneCycleLR``, stepped after every batch: the rate rises from
    ``lr / 25`` to ``lr`` over the warm-up (``warmup_epochs`` or
    ``warmup_batches``; 30% of the call's batches when neither is set),
    then anneals (cosine) to ``lr / 25e4`` at the last batch; momentum is
    not cycled (``momentum`` and ``beta1`` stay as set), and ``step_size``
    and ``gamma`` are not used.
step_size : int, default=10
    Epochs between two decays of the ``"step"`` schedule.
gamma : float, default=0.1
    Decay factor of the ``"step"`` and ``"exponential"`` schedules; in (0, 1].
grad_clip_norm : float or None, default=None
    Clip the L2 norm of all gradients together to this value (skorch's
    ``GradientNormClipping``); None: no clipping.
accumulate_grad_batches : int, default=1
    Batches whose gradients are summed before each optimizer step: with
    ``k``, each batch's loss is divided by ``k`` (by the number of batches
    left for the last group of an epoch), so that a step is that of a
    ``k`` times larger batch, in the memory of one (except for BatchNorm,
    whose statistics stay per batch). Clipping acts on the summed
    gradients; the schedule still counts batches.
batch_size : int, default=64
    Samples per batch, for training and prediction; -1: all samples in one
    batch (as in skorch).
predict_batch_size : int or None, default=None
    Samples per batch for prediction and the validation set, which keep
    no activations for a backward pass; -1: all samples in one batch.
    None: ``4 * batch_size`` (-1 when ``batch_size=-1``).
    ``iterator_valid__batch_size`` wins when given. Running out of GPU
    memory while predicting keeps the fitted model: predict again with a
    smaller ``predict_batch_size``.
max_epochs : int, default=10
    Epochs per ``fit`` (and per ``partial_fit`` call).
validation_fraction : float or None, default=None
    Fraction of the training data of **each fit** held out as the
    validation set that ``patience`` and ``checkpoint_dir`` watch
    (stratified for a classifier, drawn with ``random_state``). None: no
    validation set, every sample trains. Unlike skorch, whose default
    ``ValidSplit(5)`` silently holds out 20% of every cross-validation fold
    (skorch issue #762), nothing is held out unless asked for, and
    ``verbose`` says how much is.
patience : int or None, default=None
    Early stopping: stop when the validation loss has not improved for
    this many epochs, and restore the weights of its best epoch (skorch's
    ``EarlyStopping(load_best=True)``). Needs a validation set
    (``validation_fraction`` or ``train_split``). None: train
    ``max_epochs`` epochs.
checkpoint_dir : str, path-like or None, default=None
    A folder where each fit keeps, while it runs, the module's parameters
    at its best epoch (lowest validation loss, or training loss without a
    validation set), loaded back when training ends, and its training
    state after the last epoch (module, optimizer, learning-rate
    scheduler, epochs done, history), from which :meth:`resume` finishes
    a fit that was stopped. Two files per running fit,
    ``fit-<pid>-<id>-best.pt`` and ``fit-<pid>-<id>-state.pt``, so that
    parallel fits of a search do not collide; both are removed when the
    fit ends, and ``verbose`` says how much is kept. None: no files.
device : str, torch.device or None, default="auto"
    ``"auto"``: CUDA when available, else the CPU. The main process, and a
    process that sees one GPU (``CUDA_VISIBLE_DEVICES``), train on the
    current GPU (``"cuda"``), as does a Dask worker that was given its GPU
    in ``CUDA_VISIBLE_DEVICES`` (dask-cuda lists it first). Other worker
    processes of a search (``n_jobs > 1``) seeing several GPUs each take,
    when they first ask, the GPU that the fewest live workers of this
    machine hold, noted in a file under a lock in the temporary folder:
    the workers spread evenly whatever their process ids, and keep their
    GPU for all their fits (without a file lock, as on Windows: the
    current GPU). Otherwise as in skorch (``"cpu"``, ``"cuda"``,
    ``"cuda:1"``; None: do not move anything). ``get_params`` keeps
    ``"auto"``.
data_on_device : "auto" or bool, default="auto"
    Where arrays and tensors wait for their batches on a GPU. True: moved
    to the device once per fit (and per prediction), then batched there,
    with no host-to-device copy per batch. False: batches are copied to
    page-locked (pinned) memory and sent without blocking. ``"auto"``:
    True when inputs and targets take at most 25% of the GPU's free
    memory (``torch.cuda.mem_get_info``), asked once per fit before
    anything moves; a prediction within the fit (a scoring callback's)
    uses the data already there. On the CPU nothing moves; data
    a torch ``Dataset`` yields, or batched by DataLoader workers, go
    skorch's way.
channels_last : "auto" or bool, default="auto"
    Train and predict with the network and its 4-D inputs in the
    channels-last memory format, which cuDNN's convolutions run faster.
    ``"auto"``: on CUDA for a network with 2-D convolutions. There, the
    first such fit of a process also sets
    ``torch.backends.cudnn.benchmark=True`` for the process, and leaves it
    so (it is a setting of the whole process; not while torch is asked for
    deterministic algorithms). ``True`` on the CPU: torch 2.13's CPU build
    crashes in oneDNN's channels-last convolution backward on some AMD EPYC
    processors; set ``torch.backends.mkldnn.enabled = False`` there.
mixed_precision : {"auto", "no", "bf16", "fp16"}, default="auto"
    Autocast the forward pass. ``"auto"``: on CUDA, bfloat16 where the net's
    GPU computes in bfloat16 natively
    (``torch.cuda.is_bf16_supported(including_emulation=False)``, compute
    capability 8.0 or more) and float16 with a ``GradScaler`` elsewhere; off
    on the CPU. Gradients are unscaled before clipping. The float16 scale
    goes on with the fit (``partial_fit``, ``warm_start``, and ``resume``,
    whose state file keeps it). A regressor's head (its last
    ``torch.nn.Linear``, see :func:`find_head`) computes in float32 in every
    mode, so that its predictions are not rounded to the 3 significant
    digits of bfloat16; ``"auto"`` does not autocast a regressor whose head
    cannot (no ``torch.nn.Linear``, or a subclass of it).
image_layout : {"auto", "channels_first", "channels_last"}, default="auto"
    Where the channels of 4-D image arrays are: ``"channels_first"``
    (n_samples, channels, height, width), as torch takes them, or
    ``"channels_last"`` (n_samples, height, width, channels), as PIL,
    OpenCV and Keras give them, transposed before training and
    prediction. ``"auto"`` (for the ResNets): channels last when the last
    axis has 1, 3 or 4 entries and the second has not; when both have, as
    for (n, 3, 4, 4), the fit stops and asks. Any other module takes X as
    it is unless the layout is given. ``uint8`` images (0 to 255) are
    scaled to [0, 1], batch by batch on the device.
normalize : "auto", None or (mean, std), default="auto"
    Per-channel normalisation of images, ``(x - mean) / std``, after
    scaling to [0, 1]; mean and std are numbers or one per channel.
    ``"auto"``: the statistics of the pretrained weights when they are
    known, i.e. ImageNet's for torchvision's weights by name
    (``weights="DEFAULT"``); otherwise none. Weights from a file carry no
    statistics: give them here. Grayscale images given to a network
    whose first convolution takes 3 channels (pretrained on RGB) are
    repeated to 3 channels, with a warning.
transform : None, "flip", "crop", callable or list of those, default=None
    Data augmentation of the **training** batches (never of validation or
    prediction batches), on the net's device, after scaling and
    normalisation. ``"flip"``: each image flipped left-right with
    probability 0.5 (:class:`RandomFlip`); ``"crop"``: each image padded
    with zeros by an eighth of its side (4 pixels for 32x32) and cropped
    back at a random place (:class:`RandomCrop`). Both draw a choice per
    image from torch's random state (seeded by ``random_state``) and need
    no torchvision. A callable takes and returns a batch tensor, e.g. a
    torchvision ``transforms.v2`` transform (which draws one choice per
    batch) or ``RandomCrop(padding=2)``; a list applies its items in order.
random_state : int, RandomState or None, default=None
    Seeds the initialisation, shuffling, dropout and the validation split
    of each ``fit``: with an int, fits on the CPU are reproducible. The
    caller's torch random state is saved and restored.""",
    "nn_classifier_loss": """\
criterion : torch criterion class, default=torch.nn.CrossEntropyLoss
    The loss, as in skorch (``criterion__*`` parameters are routed to it).
classes : array-like or None, default=None
    All class labels, in the order of the outputs. None: the sorted
    labels of ``y``. Give them when a training set (a CV fold) may
    lack a class; labels outside them are an error.""",
    "nn_regressor_loss": """\
criterion : torch criterion class, default=torch.nn.MSELoss
    The loss, as in skorch (``criterion__*`` parameters are routed to it).""",
    "nn_training": """\
train_split : callable or None, default=None
    The validation split of skorch, e.g. ``predefined_split(dataset)``; when
    given, ``validation_fraction`` is ignored.
callbacks : list or None, default=None
    More skorch callbacks, run after the built-in ones: ``epoch_timer``,
    ``train_loss``, ``valid_loss``, ``valid_acc`` (classifier),
    ``freezer``, ``lr_scheduler``,
    ``gradient_clipping``, ``checkpoint`` and ``early_stopping`` (the last
    two when enabled) and ``print_log``. Their parameters are routed as
    ``callbacks__<name>__<param>``.
verbose : int, default=0
    1 prints skorch's table of epochs (skorch's default is 1; a search
    fits many nets).
**kwargs
    Any other skorch parameter: ``iterator_train__num_workers``,
    ``module__width``, ``optimizer__amsgrad``, ``warm_start``, ``compile``,
    ... Training batches are shuffled (``iterator_train__shuffle=True``,
    which skorch leaves off).""",
    "nn_attributes": """\
module_ : torch.nn.Module
    The trained network.
freeze_plan_ : FreezePlan
    The parameter names of its stages and head, and which were frozen.
n_outputs_ : int
    Outputs of the head: the number of classes, or of targets.
in_channels_ : int or None
    Channels of the training images (None when X is not 4-D).
n_features_in_ : int
    Columns of X, when X is 2-D (tabular).
repeat_channels_ : int or None
    Channels grayscale images are repeated to (3 for an RGB network),
    or None.
normalize_ : (tuple, tuple) or None
    The per-channel mean and std applied to images, or None.
seed_ : int or None
    The torch seed of the first fit (None without ``random_state``). Training
    that goes on (``partial_fit``, ``warm_start``) draws from ``seed_`` plus
    the epochs already trained, so it is reproducible too.
grad_scaler_ : torch.amp.GradScaler or None
    The loss scaler of float16 training (``mixed_precision``), or None.
history_ : skorch.history.History
    Per epoch: ``train_loss``, ``valid_loss``, ``event_lr``, ...; per batch
    (``history_[-1, "batches"]``), its loss and size. The batches' losses
    stay on the device while the epoch runs and are read together every 50
    batches and when it ends (a read makes the host wait for the GPU): a
    callback's ``on_batch_end`` sees a batch's ``train_loss`` only after
    such a read; the epoch's ``train_loss`` and ``on_epoch_end`` see them
    all.""",
}

# One templater for the whole package: the fragments join the searchers' ones.
fill_doc = _docstrings._fill_doc_with(NN_FRAGMENTS)

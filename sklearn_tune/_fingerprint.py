"""Describe a search's settings as text that is equal in every process.

A checkpoint records what the search was (estimator, parameters, search space,
cv, scoring) so that a later process can check it resumes the same search.
``repr`` will not do: a function's repr holds its memory address
(``<function f at 0x7f...>``), so ``FunctionTransformer(f)``, a custom scorer or
a ``Categorical`` of functions would never match in a new process, while an
estimator's repr leaves out long parts (``...``) and a scorer's repr names its
metric but not its code. :func:`describe` writes a value as text that is equal
in every process for equal values and differs when the value differs;
:func:`difference` cuts two such texts down to the part that differs, for an
error message.

Examples
--------
>>> from sklearn_tune._fingerprint import describe, difference
>>> describe({"b": (1, 2.5), "a": [None, "x"]})
"{'a': [None, 'x'], 'b': (1, 2.5)}"
>>> difference("Model(alpha=1, beta=2, gamma=3)", "Model(alpha=1, beta=7, gamma=3)",
...            context=6)
('...beta=2, gam...', '...beta=7, gam...')
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["describe", "difference"]

MAX_DEPTH = 30
"""Nesting past which :func:`describe` writes ``<too deep ClassName>``."""

SMALL_ARRAY = 10
"""Arrays with at most this many elements are written out, larger ones hashed."""

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_BUILTIN_CALLABLES = (
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.MethodWrapperType,
)


def describe(value: Any) -> str:
    """Text that describes ``value``, equal in any process for equal values.

    Scalars and strings are written by ``repr``; containers item by item (dict
    and set items sorted); estimators as ``module.Class(param=..., ...)`` from
    ``get_params(deep=False)``; functions as ``module.qualname#digest``, the
    digest covering their bytecode, constants, names, defaults and closure;
    arrays by shape, dtype and a digest of their bytes; pandas objects by type
    and ``joblib.hash``; scorers, CV splitters and objects whose ``repr`` shows a
    memory address by their attributes. No memory address ever appears.

    Parameters
    ----------
    value : object
        Anything.

    Returns
    -------
    text : str
        The description. A container or object met again inside itself is
        written ``<cycle ClassName>``, one nested deeper than ``MAX_DEPTH``
        ``<too deep ClassName>``; an object that cannot be described (its
        ``repr`` or ``get_params`` raises, ...) is written as its type and its
        ``repr`` with addresses removed. ``describe`` does not raise.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> describe(LogisticRegression(C=2.0))[:59]
    'sklearn.linear_model._logistic.LogisticRegression(C=2.0, cl'
    >>> describe(len)
    'builtins.len'
    """
    try:
        return _Describer().describe(value, 0)
    except Exception:  # the describer guards every level; belt and braces
        return _fallback(value)


def difference(old: str, new: str, context: int = 30) -> tuple[str, str]:
    """The parts of two descriptions that differ, with some text around them.

    Parameters
    ----------
    old, new : str
        Two descriptions (any two strings).
    context : int, default=30
        How many equal characters to keep on either side of a difference.

    Returns
    -------
    old_part, new_part : str
        Each string cut down to its differing stretches, each with up to
        ``context`` characters either side; ``"..."`` stands where text was cut.
        Stretches closer than ``2 * context`` characters are shown as one.
        Two empty strings when ``old == new``.

    Examples
    --------
    >>> difference("f(a=1, b=[1, 2, 3], c=0)", "f(a=1, b=[1, 2, 4], c=0)", 4)
    ('... 2, 3], c...', '... 2, 4], c...')
    """
    if old == new:
        return "", ""
    context = max(int(context), 0)
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    tail = 0
    while tail < limit - start and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_mid = old[start : len(old) - tail]
    new_mid = new[start : len(new) - tail]
    if len(old_mid) + len(new_mid) <= 4000:  # SequenceMatcher is quadratic
        opcodes = difflib.SequenceMatcher(
            None, old_mid, new_mid, autojunk=False
        ).get_opcodes()
        hunks = [
            [start + i1, start + i2, start + j1, start + j2]
            for tag, i1, i2, j1, j2 in opcodes
            if tag != "equal"
        ]
    else:
        hunks = [[start, len(old) - tail, start, len(new) - tail]]
    merged = [hunks[0]]
    for hunk in hunks[1:]:
        if hunk[0] - merged[-1][1] <= 2 * context + len("..."):
            merged[-1][1], merged[-1][3] = hunk[1], hunk[3]
        else:
            merged.append(hunk)
    old_spans = [(i1, i2) for i1, i2, _, _ in merged]
    new_spans = [(j1, j2) for _, _, j1, j2 in merged]
    return _excerpt(old, old_spans, context), _excerpt(new, new_spans, context)


def _excerpt(text: str, spans: list[tuple[int, int]], context: int) -> str:
    """``text`` cut down to ``spans`` widened by ``context``, "..." at each cut."""
    pieces = []
    end = 0
    for i, (lo, hi) in enumerate(spans):
        lo = max(lo - context, end if i else 0)
        hi = min(hi + context, len(text))
        if lo > end or (i == 0 and lo > 0):
            pieces.append("...")
        pieces.append(text[lo:hi])
        end = hi
    if end < len(text):
        pieces.append("...")
    return "".join(pieces)


def _qualified(cls: type) -> str:
    """``module.qualname`` of a class (or of anything with those attributes)."""
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "?")
    return f"{module}.{name}" if module else str(name)


def _digest(text: str, size: int = 12) -> str:
    data = text.encode("utf-8", "backslashreplace")
    return hashlib.sha256(data).hexdigest()[:size]


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned a non-string")
    except Exception:
        return "<unrepresentable>"
    return _ADDRESS.sub("", text)


def _fallback(value: Any) -> str:
    """Type and address-free repr, for a value whose description failed."""
    try:
        name = _qualified(type(value))
    except Exception:
        name = "?"
    return f"<{name} {_safe_repr(value)}>"


class _Describer:
    """One :func:`describe` call: the path of objects being described."""

    def __init__(self) -> None:
        self.path: set[int] = set()

    def describe(self, value: Any, depth: int) -> str:
        try:
            kind = type(value)
            if kind in _SCALARS:
                return repr(value)
            if isinstance(value, np.generic):
                item = value.item()
                if type(item) is kind:  # e.g. longdouble: no Python scalar
                    return repr(value)
                return self.describe(item, depth)
            name = kind.__qualname__
            if depth > MAX_DEPTH:
                return f"<too deep {name}>"
            if id(value) in self.path:
                return f"<cycle {name}>"
            self.path.add(id(value))
            try:
                return self._compound(value, depth + 1)
            finally:
                self.path.discard(id(value))
        except Exception:
            return _fallback(value)

    # Anything that is not a plain scalar.

    def _compound(self, value: Any, depth: int) -> str:
        d = functools.partial(self.describe, depth=depth)
        if isinstance(value, _CONTAINERS):
            return self._container(value, depth)
        if isinstance(value, np.ndarray):
            return self._array(value, depth)
        if _is_pandas(value):
            return self._pandas(value, depth)
        if isinstance(value, types.CodeType):
            return f"<code {value.co_name}#{self._code_digest(value, depth)}>"
        if isinstance(value, types.FunctionType):
            return self._function(value, depth)
        if isinstance(value, types.MethodType):
            return f"<bound {d(value.__func__)} of {d(value.__self__)}>"
        if isinstance(value, _BUILTIN_CALLABLES):
            return self._builtin(value, depth)
        if isinstance(value, np.ufunc):
            return f"{getattr(value, '__module__', None) or 'numpy'}.{value.__name__}"
        if isinstance(value, functools.partial):
            return self._call(
                _qualified(type(value)),
                {"func": value.func, "args": value.args, "keywords": value.keywords},
                depth,
            )
        if isinstance(value, type):
            return _qualified(value)
        if isinstance(value, types.ModuleType):
            return f"<module {value.__name__}>"
        if isinstance(value, np.random.RandomState):
            return self._call(
                _qualified(type(value)), value.get_state(legacy=False), depth
            )
        if isinstance(value, np.random.Generator):
            state = {"bit_generator": value.bit_generator.state}
            return self._call(_qualified(type(value)), state, depth)
        if isinstance(value, np.random.BitGenerator):
            return self._call(_qualified(type(value)), value.state, depth)
        if callable(getattr(value, "get_params", None)):
            params = value.get_params(deep=False)
            return self._call(_qualified(type(value)), dict(params), depth)
        return self._object(value, depth)

    def _call(self, name: str, attributes: Mapping, depth: int) -> str:
        """``name(key=description, ...)``, keys sorted."""
        items = sorted(
            (str(key), self.describe(item, depth)) for key, item in attributes.items()
        )
        return name + "(" + ", ".join(f"{key}={text}" for key, text in items) + ")"

    def _container(self, value: Any, depth: int) -> str:
        d = functools.partial(self.describe, depth=depth)
        if isinstance(value, dict):
            items = sorted((d(key), d(item)) for key, item in value.items())
            text = "{" + ", ".join(f"{key}: {item}" for key, item in items) + "}"
        elif isinstance(value, (set, frozenset)):
            items = sorted(d(item) for item in value)
            text = "{" + ", ".join(items) + "}" if items else "{}"
            if type(value) is set:
                return text if items else "set()"
            if type(value) is frozenset:
                return f"frozenset({text})" if items else "frozenset()"
        elif isinstance(value, list):
            text = "[" + ", ".join(d(item) for item in value) + "]"
        else:
            fields = getattr(type(value), "_fields", None)
            if type(value) is not tuple and isinstance(fields, tuple):
                return self._call(_qualified(type(value)), value._asdict(), depth)
            items = [d(item) for item in value]
            text = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if type(value) in _CONTAINERS:
            return text
        return f"{_qualified(type(value))}({text})"

    def _array(self, value: np.ndarray, depth: int) -> str:
        name = "array" if type(value) is np.ndarray else _qualified(type(value))
        head = f"{name}(shape={value.shape}, dtype={value.dtype}"
        if isinstance(value, np.ma.MaskedArray):
            mask = np.ma.getmaskarray(value)
            head += f", mask={self.describe(mask, depth)}"
            value = np.ma.getdata(value)
        if value.size <= SMALL_ARRAY:
            return f"{head}, values={self.describe(value.tolist(), depth)})"
        if value.dtype.hasobject:
            data = self.describe(value.ravel().tolist(), depth).encode(
                "utf-8", "backslashreplace"
            )
        else:
            data = np.ascontiguousarray(value).tobytes()
        sha = hashlib.sha256(f"{value.dtype.str}{value.shape}".encode())
        sha.update(data)
        return f"{head}, sha256={sha.hexdigest()[:16]})"

    def _pandas(self, value: Any, depth: int) -> str:
        name = _qualified(type(value))
        shape = getattr(value, "shape", None)
        try:
            import joblib

            return f"{name}(shape={shape}, joblib_hash={joblib.hash(value)[:16]})"
        except Exception:  # unpicklable content, e.g. a lambda in a column
            parts = {"shape": shape, "values": np.asarray(value, dtype=object)}
            for part in ("index", "columns", "name"):
                if hasattr(value, part):
                    parts[part] = getattr(value, part)
                    if hasattr(parts[part], "tolist"):
                        parts[part] = parts[part].tolist()
            return self._call(name, parts, depth)

    def _code_digest(self, code: types.CodeType, depth: int) -> str:
        parts = (
            code.co_code.hex(),
            tuple(
                f"<code {c.co_name}#{self._code_digest(c, depth + 1)}>"
                if isinstance(c, types.CodeType)
                else c
                for c in code.co_consts
            ),
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_cellvars,
            code.co_argcount,
            code.co_posonlyargcount,
            code.co_kwonlyargcount,
            code.co_flags,
        )
        return _digest(self.describe(parts, depth))

    def _function(self, value: types.FunctionType, depth: int) -> str:
        cells = []
        for cell in value.__closure__ or ():
            try:
                cells.append(cell.cell_contents)
            except ValueError:  # a cell not filled yet
                cells.append("<empty cell>")
        state = (
            f"<code#{self._code_digest(value.__code__, depth)}>",
            self.describe(value.__defaults__, depth),
            self.describe(value.__kwdefaults__, depth),
            self.describe(tuple(cells), depth),
        )
        return f"{_qualified(value)}#{_digest(repr(state))}"

    def _builtin(self, value: Any, depth: int) -> str:
        owner = getattr(value, "__self__", None)
        if owner is None or isinstance(owner, types.ModuleType):
            module = getattr(value, "__module__", None)
            if module is None and isinstance(owner, types.ModuleType):
                module = owner.__name__
            name = getattr(value, "__qualname__", None) or value.__name__
            objclass = getattr(value, "__objclass__", None)
            if module is None and objclass is not None:
                module = objclass.__module__
            return f"{module}.{name}" if module else name
        if isinstance(owner, type):
            return f"{_qualified(owner)}.{value.__name__}"
        return f"<bound {_qualified(type(owner))}.{value.__name__} of " + (
            f"{self.describe(owner, depth)}>"
        )

    def _object(self, value: Any, depth: int) -> str:
        name = _qualified(type(value))
        text = repr(value)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned a non-string")
        by_state = (
            _ADDRESS.search(text) is not None
            or "..." in text  # an abridged repr (long estimator, array)
            or type(value).__module__.startswith(
                ("sklearn.metrics._scorer", "sklearn_tune.space", "skopt.space")
            )
            or _is_splitter(value)
        )
        if not by_state:
            return text
        ctor = getattr(value, "_ctor_param", None)  # scipy.stats distributions
        if type(value).__module__.startswith("scipy.stats") and isinstance(ctor, dict):
            return self._call(name, ctor, depth)
        state = getattr(value, "__dict__", None)
        if not isinstance(state, Mapping):
            getstate: Callable[[], Any] | None = getattr(value, "__getstate__", None)
            state = getstate() if callable(getstate) else None
        if isinstance(state, Mapping):
            return self._call(name, state, depth)
        if state is not None:
            return f"{name}({self.describe(state, depth)})"
        return _ADDRESS.sub("", text)


def _is_pandas(value: Any) -> bool:
    pd = sys.modules.get("pandas")
    if pd is None:
        return False
    try:
        kinds = (pd.DataFrame, pd.Series, pd.Index, pd.api.extensions.ExtensionArray)
    except AttributeError:
        return False
    return isinstance(value, kinds)


def _is_splitter(value: Any) -> bool:
    return callable(getattr(value, "split", None)) and callable(
        getattr(value, "get_n_splits", None)
    )

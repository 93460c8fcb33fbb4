"""The public functions' shared keywords, declared once and bound by one decorator.

Each public function lists only its own parameters and takes the shared ones as
``**options: Unpack[MatrixKeywords]`` (or a smaller set): the ``TypedDict`` gives type
checkers and IDEs each keyword's type, :data:`dmi._engine.keywords.KEYWORDS` its default,
meaning and documentation, and :func:`takes` builds from both, once at import:

- the function's full signature (``inspect.signature``, ``help()``, Sphinx and IPython's
  ``?`` show every keyword with its default, in the table's order);
- its docstring's entries for the shared keywords, where it says ``<keywords>`` (a
  keyword the docstring documents itself keeps its own text);
- a TypeError naming the function, the keyword and the closest allowed one for an
  unknown keyword (as Python's own, with a suggestion).

Why a decorator and not generated source (as xarray generates its aggregations): the
signature and docs come from the one table at import, so there is no second copy to keep in
step, and the function body stays the code that runs.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import textwrap
import typing
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypedDict, TypeVar

from dmi._engine.keywords import KEYWORDS
from dmi._typing import Discrete, Method, Normalize, RandomState, SampleMode, SplitEvery

F = TypeVar("F", bound=Callable[..., Any])


class PassKeywords(TypedDict, total=False):
    """What one pass over the data needs: which columns are categories, the sample, the
    merge, the progress bar and the category cap."""

    discrete: Discrete
    sample_size: int
    random_state: RandomState
    split_every: SplitEvery
    progress: bool
    max_categories: int | None


class Weighted(TypedDict, total=False):
    """Rows that may carry frequency weights (mixed into the keyword sets that take them)."""

    weights: Hashable | None


class SummaryKeywords(PassKeywords, Weighted, total=False):
    """A pass kept as a summary."""


class BinnedKeywords(PassKeywords, total=False):
    """A pass whose estimates are binned: the bins, the unit, missing values."""

    bins: int | str
    base: float
    dropna: bool


class WeightedBinnedKeywords(BinnedKeywords, Weighted, total=False):
    """A binned pass over weighted rows (feature selection, drift)."""


class KnnKeywords(PassKeywords, total=False):
    """A pass whose continuous pairs take the k-NN estimators."""

    n_neighbors: int
    base: float
    dropna: bool


class WeightedKnnKeywords(KnnKeywords, Weighted, total=False):
    """A k-NN pass over weighted rows (conditional MI)."""


class EstimatorKeywords(KnnKeywords, total=False):
    """Either estimator family: ``method`` chooses, ``bins`` cuts for ``'binned'``."""

    method: Method
    bins: int | str


class WeightedEstimatorKeywords(EstimatorKeywords, Weighted, total=False):
    """Either estimator family over weighted rows (the dependency tree)."""


class AssociationKeywords(EstimatorKeywords, Weighted, total=False):
    """Every pair of a table (the sample may come from some partitions only)."""

    sample: SampleMode


class MatrixKeywords(AssociationKeywords, total=False):
    """Every shared keyword: the MI matrix and its relatives."""

    normalize: Normalize | None


def names(keywords: type) -> list[str]:
    """The keywords of a ``TypedDict`` above, in the table's order."""
    return [name for name in KEYWORDS if name in keywords.__annotations__]


def knn_only(options: Mapping[str, Any]) -> KnnKeywords:
    """The keywords among ``options`` that :class:`KnnKeywords` holds (a call passing its
    keywords on to :func:`dmi.top_pairs`, which has no ``method``, ``bins`` or ``sample``)."""
    return typing.cast(KnnKeywords, {n: v for n, v in options.items() if n in KnnKeywords.__annotations__})


def takes(keywords: type) -> Callable[[F], F]:
    """Give a public function that takes ``**options: Unpack[keywords]`` its full signature,
    its keyword docs and a clear error for an unknown keyword (see the module docstring)."""
    shared = names(keywords)
    unknown = set(keywords.__annotations__) - set(shared)
    if unknown:
        raise TypeError(f"{keywords.__name__} declares keywords the table does not have: {sorted(unknown)}")
    # the annotations as written in the TypedDict ("Discrete", "int | None"), as the
    # functions' own string annotations read
    types = {n: getattr(t, "__forward_arg__", t) for n, t in keywords.__annotations__.items()}

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        clash = {p.name for p in own} & set(shared)
        if clash:
            raise TypeError(f"{func.__name__} declares {sorted(clash)} itself and takes them from the table")
        keyword = inspect.Parameter.KEYWORD_ONLY
        params = own + [
            inspect.Parameter(n, keyword, default=KEYWORDS[n].default, annotation=types[n]) for n in shared
        ]
        allowed = [p.name for p in params]

        @functools.wraps(func)
        def public(*args: Any, **kwargs: Any) -> Any:
            for name in kwargs:
                if name not in allowed:
                    close = difflib.get_close_matches(name, allowed, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise TypeError(f"{func.__name__}() got an unexpected keyword argument {name!r}{hint}")
            return func(*args, **kwargs)

        public.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        public.__doc__ = _documented(func.__doc__ or "", shared)
        return typing.cast(F, public)

    return decorate


def _documented(doc: str, shared: list[str]) -> str:
    """``doc`` with its ``<keywords>`` line replaced by the entries of the keywords it does
    not document itself (at that line's indentation)."""
    lines = doc.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "<keywords>"]
    if not marks:
        return doc
    mark = marks[0]
    pad = lines[mark][: len(lines[mark]) - len(lines[mark].lstrip())]
    parameters = "\n".join(lines[:mark])
    entries = []
    for name in shared:
        if any(line.strip().startswith(f"{name} :") for line in parameters.splitlines()):
            continue
        if any(line.strip().startswith(f"{name} :") for line in lines[mark + 1 :]):
            continue
        entries.append(textwrap.indent(f"{name} : {KEYWORDS[name].doc}", pad))
    return "\n".join([*lines[:mark], *entries, *lines[mark + 1 :]])

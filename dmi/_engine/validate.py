"""Checks for scalar keyword arguments, run at the public boundary before any work."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from dmi._engine.keywords import default
from dmi._math.streams import DEFAULT_SEED
from dmi._pass.config import split_every as configured_split_every
from dmi._typing import SplitEvery

NORMALIZE_METHODS = ("arithmetic", "geometric", "min", "max")
METHODS = ("auto", "binned")
SAMPLE_MODES = ("rows", "partitions")


def _is_int(value: Any) -> bool:
    """True for integers, excluding bools (``True`` is an ``int`` in Python)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def check_base(base: Any) -> float:
    """Validate the logarithm base: a real number > 0 and != 1."""
    if isinstance(base, bool | np.bool_) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a real number such as math.e or 2, got {base!r}")
    value = float(base)
    if not math.isfinite(value) or value <= 0 or value == 1:
        raise ValueError(f"base must be a finite number > 0 and != 1 (e.g. math.e or 2), got {base!r}")
    return value


def check_choice(name: str, value: Any, allowed: tuple[Any, ...]) -> Any:
    """Validate that ``value`` is one of ``allowed``."""
    if not any(value is a or (isinstance(value, str) and value == a) for a in allowed):
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")
    return value


def check_alpha(alpha: Any, *, optional: bool = False) -> float | None:
    """Validate a significance level or false-discovery rate: a number in (0, 1)
    (or None when ``optional``)."""
    if alpha is None and optional:
        return None
    allowed = "None or a number in (0, 1)" if optional else "a number in (0, 1)"
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be {allowed}, got {alpha!r}")
    if not 0 < float(alpha) < 1:
        raise ValueError(f"alpha must be {allowed}, got {alpha!r}")
    return float(alpha)


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """Validate an integer argument that must be at least ``minimum``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


DEFAULT_MAX_CATEGORIES: int = default("max_categories")


def check_max_categories(value: Any) -> int | None:
    """Validate ``max_categories``: an integer >= 1, or ``None`` for no cap."""
    if value is None:
        return None
    return check_positive_int("max_categories", value)


def check_split_every(split_every: SplitEvery) -> int | None:
    """Resolve ``split_every``: an int >= 2, ``None`` for the config default, ``False`` for flat.

    Returns the fan-in to use, or ``None`` for a flat (single) merge.
    """
    if split_every is False:
        return None
    if split_every is None:
        split_every = configured_split_every()
        source = "dask config 'dmi.split-every'"
    else:
        source = "split_every"
    if not _is_int(split_every):
        raise TypeError(f"{source} must be an integer >= 2, None or False; got {split_every!r}")
    if split_every < 2:
        raise ValueError(f"{source} must be an integer >= 2, None or False; got {split_every!r}")
    return int(split_every)


def check_random_state(random_state: Any) -> int:
    """The one seeded entry point for randomness: ``None``, an int seed or a Generator.

    Returns the int seed every random choice of the call derives from
    (:mod:`dmi._math.streams`); ``None`` is the fixed default seed, so calls repeat and
    summaries made with default arguments merge.
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63))
    if random_state is None:
        return DEFAULT_SEED
    if _is_int(random_state):
        if random_state < 0:
            raise ValueError(
                f"random_state must be None, an int >= 0 or a numpy Generator; got {random_state!r}"
            )
        return int(random_state)
    raise TypeError(
        f"random_state must be None, an int >= 0 or a numpy Generator; got {type(random_state).__name__}"
    )

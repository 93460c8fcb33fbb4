"""dmi's conditional-independence test inside the causal-discovery libraries users already run.

* :func:`pgmpy_ci_test` -- a callable for pgmpy's ``PC(data).estimate(ci_test=...)``.
* :func:`causal_learn_test` -- registers dmi's test with causal-learn, whose
  ``pc(data, alpha, indep_test=name)`` then uses it.

Both call :func:`dmi.independence_test` on the in-memory table the library holds, one
test at a time; for tables larger than memory (or many tests), :func:`dmi.causal_skeleton`
counts each level's tests in one pass instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import pandas as pd

from dmi.causal import independence_test


def pgmpy_ci_test(**options: Any) -> Callable[..., Any]:
    """A conditional-independence test for pgmpy's PC algorithm.

    Parameters
    ----------
    **options
        Keywords of :func:`dmi.independence_test` (``method``, ``knn_permutations``,
        ``discrete``, ``n_neighbors``, ...).

    Returns
    -------
    callable
        ``test(X, Y, Z, data, boolean=True, **kwargs)``, as pgmpy calls its tests: with
        ``boolean=True``, whether independence is kept at ``significance_level``
        (``p >= significance_level``); else ``(statistic, p_value)``.

    Examples
    --------
    >>> from pgmpy.estimators import PC                                   # doctest: +SKIP
    >>> PC(df).estimate(ci_test=dmi.interop.pgmpy_ci_test(), variant="stable")  # doctest: +SKIP
    """

    def test(
        X: Hashable,
        Y: Hashable,
        Z: Sequence[Hashable],
        data: pd.DataFrame,
        boolean: bool = True,
        **kwargs: Any,
    ) -> Any:
        result = independence_test(data, X, Y, given=list(Z), **options)
        if boolean:
            return bool(result.p_value >= kwargs["significance_level"])
        return result.statistic, result.p_value

    test.__name__ = "dmi_independence_test"
    return test


def causal_learn_test(name: str = "dmi", **options: Any) -> str:
    """Register dmi's test with causal-learn under ``name`` and return the name.

    Parameters
    ----------
    name : str, default 'dmi'
        The name to pass as causal-learn's ``indep_test``.
    **options
        Keywords of :func:`dmi.independence_test`.

    Returns
    -------
    str
        ``name``: ``pc(data, alpha, indep_test=dmi.interop.causal_learn_test())``.

    Notes
    -----
    causal-learn hands its tests a numpy array; its columns are the table's columns
    (named 0, 1, ...), and integer arrays are discrete (pass ``discrete=False`` for a
    continuous array of whole numbers).
    """
    try:
        from causallearn.utils.cit import CIT_Base, register_ci_test
    except ImportError as err:
        raise ImportError("causal_learn_test needs causal-learn: pip install causal-learn") from err

    class DmiTest(CIT_Base):
        """causal-learn's test interface over :func:`dmi.independence_test`."""

        def __init__(self, data: Any, **kwargs: Any) -> None:
            super().__init__(data, **kwargs)
            self.frame = pd.DataFrame(data)
            self.check_cache_method_consistent(name, repr(sorted(options.items())))

        def __call__(self, X: Any, Y: Any, condition_set: Any = None) -> float:
            xs, ys, zs, key = self.get_formatted_XYZ_and_cachekey(X, Y, condition_set)
            if key in self.pvalue_cache:
                return float(self.pvalue_cache[key])
            p = independence_test(self.frame, xs, ys, given=zs, **options).p_value
            self.pvalue_cache[key] = p
            return float(p)

    register_ci_test(name, DmiTest)
    return name

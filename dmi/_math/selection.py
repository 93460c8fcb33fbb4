"""Information-theoretic feature selection criteria (pure numpy; no Dask).

The criteria are those of Brown, Pocock, Zhao and Luján, "Conditional Likelihood
Maximisation: A Unifying Framework for Information Theoretic Feature Selection", JMLR 13
(2012) 27-66, for a candidate ``X_k``, the selected set ``S`` and the target ``Y``:

* ``mim``: ``I(X_k;Y)`` (relevance only).
* ``mrmr`` (Peng, Long and Ding 2005), difference form:
  ``I(X_k;Y) - mean_{j in S} I(X_k;X_j)``; quotient form: ``I(X_k;Y) / mean_j I(X_k;X_j)``.
* ``jmi`` (Yang and Moody 1999): ``mean_j I(X_k X_j;Y) - const``, which ranks as
  ``I(X_k;Y) - mean_j [I(X_k;X_j) - I(X_k;X_j|Y)] = mean_j I(X_k;Y|X_j)``.
* ``cmim`` (Fleuret 2004): ``min_j I(X_k;Y|X_j)``
  ``= I(X_k;Y) - max_j [I(X_k;X_j) - I(X_k;X_j|Y)]``.

With ``S`` empty every criterion is the relevance. The functions here take the terms
(already estimated) and return each candidate's score and the criterion's redundancy and
conditional terms; :mod:`dmi.selection` gathers the terms from the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("mim", "mrmr", "jmi", "cmim")
"""The selection criteria, in the order the docs list them."""

CONDITIONAL = frozenset({"jmi", "cmim"})
"""Criteria that need ``I(X_k;Y|X_j)`` for each selected ``X_j`` (three-way counts)."""


@dataclass(frozen=True)
class Scores:
    """Every candidate's value of a criterion at one step (NaN for a candidate without one)."""

    score: np.ndarray
    redundancy: np.ndarray
    """The criterion's redundancy term (``relevance - score`` for mRMR-difference, JMI
    and CMIM; the mean pairwise MI for mRMR; 0 for MIM)."""
    conditional: np.ndarray
    """``mean_j`` (JMI) or ``min_j`` (CMIM) of ``I(X_k;Y|X_j)``; the relevance when
    nothing is selected yet; NaN for MIM and mRMR, which do not condition."""
    tested: np.ndarray
    """The position in ``S`` of the selected feature the step's test conditions on
    (JMI, CMIM: the one giving the smallest ``I(X_k;Y|X_j)``); -1 for the marginal test."""


def scores(
    method: str,
    relevance: np.ndarray,
    redundancy: np.ndarray | None = None,
    conditional: np.ndarray | None = None,
    *,
    quotient: bool = False,
) -> Scores:
    """The criterion's score of each candidate given the terms of the features selected so far.

    Parameters
    ----------
    method : {'mim', 'mrmr', 'jmi', 'cmim'}
    relevance : numpy.ndarray
        ``I(X_k;Y)`` of each of ``m`` candidates.
    redundancy : numpy.ndarray, optional
        ``I(X_k;X_j)``, shape ``(m, |S|)`` (mRMR).
    conditional : numpy.ndarray, optional
        ``I(X_k;Y|X_j)``, shape ``(m, |S|)`` (JMI, CMIM).
    quotient : bool
        mRMR in its quotient form (MIQ) instead of the difference (MID).

    Returns
    -------
    Scores
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    relevance = np.asarray(relevance, dtype=np.float64)
    m = relevance.shape[0]
    nan = np.full(m, np.nan)
    none = np.full(m, -1, dtype=np.int64)
    if method == "mim":
        return Scores(relevance.copy(), np.zeros(m), nan, none)
    if method == "mrmr":
        if redundancy is None or redundancy.shape[1] == 0:
            return Scores(relevance.copy(), np.zeros(m), nan, none)
        mean = np.mean(redundancy, axis=1)
        if quotient:
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.where(mean > 0, relevance / mean, np.where(relevance > 0, np.inf, 0.0))
        else:
            score = relevance - mean
        return Scores(score, mean, nan, none)
    if conditional is None or conditional.shape[1] == 0:
        return Scores(relevance.copy(), np.zeros(m), relevance.copy(), none)
    tested = np.argmin(np.where(np.isnan(conditional), np.inf, conditional), axis=1)
    term = np.mean(conditional, axis=1) if method == "jmi" else np.min(conditional, axis=1)
    return Scores(term, relevance - term, term, tested.astype(np.int64))


def best(score: np.ndarray, available: np.ndarray) -> int:
    """The candidate with the highest score among ``available`` (a boolean mask); ties
    go to the first in column order; -1 when no available candidate has a score."""
    usable = available & ~np.isnan(score)
    if not usable.any():
        return -1
    return int(np.argmax(np.where(usable, score, -np.inf)))  # the first of equal maxima

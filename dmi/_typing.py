"""Type aliases shared across dmi's modules."""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

IntArray: TypeAlias = npt.NDArray[np.int64]

PathLike: TypeAlias = Union[str, "os.PathLike[str]"]
DataLike: TypeAlias = Union["pd.DataFrame", "dd.DataFrame", PathLike, Sequence[PathLike]]
Label: TypeAlias = Hashable
Normalize: TypeAlias = Literal["arithmetic", "geometric", "min", "max"]
Method: TypeAlias = Literal["auto", "binned"]
SampleMode: TypeAlias = Literal["rows", "partitions"]
SplitEvery: TypeAlias = int | Literal[False] | None
RandomState: TypeAlias = int | np.random.Generator | None
Discrete: TypeAlias = Literal["auto"] | bool | Sequence[Hashable]

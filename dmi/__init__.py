"""dmi: distributed mutual-information analytics on Dask.

Every pair of columns of a table larger than memory, over all rows, in one pass::

    import dmi
    mi = dmi.mutual_info_matrix(ddf)            # pandas DataFrame, columns x columns
    top = dmi.mutual_info_with(ddf, "churned")  # pandas Series, like DataFrame.corrwith
    dmi.plot.heatmap(mi)                        # needs matplotlib: pip install 'dmi[plot]'
"""

from dmi._archive import SummaryFileError
from dmi._engine.notes import (
    ConstantColumnWarning,
    ContinuousIntegersWarning,
    EmptyColumnWarning,
    IdentifierWarning,
    LooksCategoricalWarning,
    MaxCategoriesWarning,
    SparseTableWarning,
    TiedValuesWarning,
    UndefinedMeasureWarning,
    UntestedPairsWarning,
    UnweightedSampleWarning,
)
from dmi._engine.summarize import summarize
from dmi._pass.faults import ClusterError
from dmi.api import conditional_mutual_info, mutual_info_matrix, mutual_info_table, mutual_info_with
from dmi.association import association_matrix
from dmi.causal import CausalGraph, IndependenceResult, causal_skeleton, independence_test
from dmi.compare import Drift, drift
from dmi.example import make_example, sample_network
from dmi.information import interaction_information, mutual_info, total_correlation
from dmi.inputs import Scan, scan_csv, scan_parquet
from dmi.pairs import top_pairs
from dmi.selection import select_features
from dmi.structure import column_groups, dependency_tree
from dmi.summary import Summary, load
from dmi.temporal import transfer_entropy

from . import interop, plot  # matplotlib is imported only when something is drawn

__version__ = "0.1.0"

__all__ = [
    "CausalGraph",
    "ClusterError",
    "ConstantColumnWarning",
    "ContinuousIntegersWarning",
    "Drift",
    "EmptyColumnWarning",
    "IdentifierWarning",
    "IndependenceResult",
    "LooksCategoricalWarning",
    "MaxCategoriesWarning",
    "Scan",
    "SparseTableWarning",
    "Summary",
    "SummaryFileError",
    "TiedValuesWarning",
    "UndefinedMeasureWarning",
    "UntestedPairsWarning",
    "UnweightedSampleWarning",
    "__version__",
    "association_matrix",
    "causal_skeleton",
    "column_groups",
    "conditional_mutual_info",
    "dependency_tree",
    "drift",
    "independence_test",
    "interaction_information",
    "interop",
    "load",
    "make_example",
    "mutual_info",
    "mutual_info_matrix",
    "mutual_info_table",
    "mutual_info_with",
    "plot",
    "sample_network",
    "scan_csv",
    "scan_parquet",
    "select_features",
    "summarize",
    "top_pairs",
    "total_correlation",
    "transfer_entropy",
]

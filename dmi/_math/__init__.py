"""The math, on data in memory: value codes, contingency counts, the uniform sample,
entropies, statistics, the k-NN estimators and the estimator records.

Pure functions over numpy, pandas, scipy and numba: no Dask and no I/O here, so every
module is tested on a pandas frame. Nothing here imports from the other layers.
"""

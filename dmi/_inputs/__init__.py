"""Opening the user's data: a :class:`~dmi._inputs.source.Source` is a lazy Dask DataFrame
and the identity of each partition's rows (for the sample's row keys). One module per
format that Dask does not read the way dmi needs (:mod:`~dmi._inputs.parquet`).
"""

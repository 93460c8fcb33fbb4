"""The one pass over the data, on Dask: what it gathers from each partition
(:mod:`~dmi._pass.onepass`), its graph and its one compute (:mod:`~dmi._pass.graph`, the only
module that builds Dask graphs), the memory budget of its pair tables
(:mod:`~dmi._pass.blocks`), dmi's Dask configuration (:mod:`~dmi._pass.config`) and the
heap setting of the k-NN blocks in a worker (:mod:`~dmi._pass.heap`).
"""

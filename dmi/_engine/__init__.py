"""From a public call to its result: the typed request (keywords, validation), the
columns and their kinds, the pass each request needs (:mod:`~dmi._engine.engine`,
:mod:`~dmi._engine.conditional`), a stored summary in place of data
(:mod:`~dmi._engine.projection`), the long-form table and the warnings.
"""

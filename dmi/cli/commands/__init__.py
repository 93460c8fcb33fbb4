"""The ``dmi`` subcommands, one module each: ``add(sub)`` builds its parser, ``run(args)``
runs it and returns the exit code."""

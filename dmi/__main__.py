"""``python -m dmi``: the same as the ``dmi`` console script."""

import sys

from .cli import main

sys.exit(main())

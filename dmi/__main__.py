"""``python -m dmi``: the same as the ``dmi`` console script."""

import sys

from dmi.cli import main

sys.exit(main())

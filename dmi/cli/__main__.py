"""``python -m dmi.cli``: the ``dmi`` command."""

import sys

from dmi.cli.app import main

sys.exit(main())

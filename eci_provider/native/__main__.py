"""``python -m eci_provider.native ENGINE_ADDRESS``: the plugin process (see :mod:`.server`)."""

import sys

from .server import main

sys.exit(main())

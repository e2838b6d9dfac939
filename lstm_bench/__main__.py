"""``python -m lstm_bench`` is the ``lstm-bench`` command."""

import sys

from lstm_bench.cli import main

sys.exit(main())

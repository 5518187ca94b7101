"""`python -m elmo_lib` runs the `elmo-lib` command line."""
import sys

from elmo_lib.cli import main

sys.exit(main())

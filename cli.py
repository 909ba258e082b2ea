"""The ``simengine`` command line, run from a checkout: ``python cli.py ...``.

The command group lives in :mod:`simengine.cli` (the installed ``simengine`` command); this file
only re-exports it, so the installed package puts no top-level ``cli`` module into site-packages.
"""

from simengine.cli import main

if __name__ == "__main__":
    main()

"""``python -m engine``: the ``ipabs`` command line."""
from engine.cli import main

if __name__ == "__main__":       # guarded: Dask's worker processes re-import this module
    raise SystemExit(main())

"""Composition root: `python -m app` is the `waymark` command."""

from app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

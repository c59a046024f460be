"""Run `python -m app.platform.embedded SERVICE ...` (see cli.py)."""

from .cli import main

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Build the manga recommendation site: ``python build.py --demo`` works offline."""

import sys

from sitegen.cli import main

if __name__ == "__main__":
    sys.exit(main())

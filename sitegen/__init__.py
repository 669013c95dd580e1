"""Static manga recommendation site generator built from MangaDex's public catalogue."""

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/mangarec/mangarec"

"""pos: an open-source point-of-sale till for small shops."""

__version__ = "0.1.0"

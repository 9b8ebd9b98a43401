"""The ``pos`` command."""

from pos.cli.commands import main, parse_args

__all__ = ["main", "parse_args"]

"""Actors for tests that call the core directly (the screens and the CLI build theirs from a login)."""

from __future__ import annotations

from pos.core.permissions import Actor

MANAGER = Actor(None, "Claire", "manager")
CASHIER = Actor(None, "Marie", "cashier")


def manager(name: str = "Claire") -> Actor:
    return Actor(None, name, "manager")


def cashier(name: str = "Marie") -> Actor:
    return Actor(None, name, "cashier")

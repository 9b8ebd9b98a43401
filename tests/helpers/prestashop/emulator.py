"""A PrestaShop Webservice emulator for tests and benchmarks: a real HTTP server on 127.0.0.1.

    with PrestaShopEmulator() as shop:           # 8.2.1, the demo data of the recorded fixtures
        client = PrestaShopClient(shop.url, shop.key)
        shop.generate_products(1000, combinations=2)
        shop.inject("reset", count=1, path="/api/products")
        shop.count("GET", "/api/products")

Its schema (field order, xlink:href targets, notFilterable, i18n fields,
association shapes) is learned from the recorded fixtures in
``tests/fixtures/prestashop/ps8.2.1-local`` and its data is seeded from them, so
its XML looks like PrestaShop 8.2.1's.  ``version="1.7.8.11"`` emulates 1.7 (no
PATCH, no 304).  ``debug_errors=True`` answers malformed queries with 400 instead
of production's 500 + PHP warnings.  Unsorted lists are shuffled (PrestaShop
guarantees no order) unless ``shuffle=False``.

Faults (``inject``): ``latency`` (``seconds`` then the normal answer), ``timeout``
(sleep ``seconds``, meant to exceed the client's timeout, then drop the
connection), ``empty_500``, ``die`` (500 text/html, ``text``), ``maintenance``
(503 text/html), ``reset`` (send the headers and half the body, then close),
``unauthorized`` (401 XML, codes 20+21), ``order_fatal`` (``POST orders`` leaves a
half-created order, state 0, and answers an empty HTTP/1.0 500).  Each for the next
``count`` matching requests (``None``: until ``clear_faults``), optionally only for a
``method`` and a ``path`` substring.

The package, by concern: ``common`` (constants, errors), ``schema`` (learned from the
fixtures), ``state`` (records, keys and their rights, faults, test hooks), ``seed`` (the demo data),
``query`` (filters, sort, paging, display, computed fields), ``render`` (XML and JSON),
``orders`` (orders from carts), ``writes`` (POST, PUT, PATCH, DELETE) and ``server``
(HTTP, routing, the answers' envelope).
"""

from __future__ import annotations

from .common import DEFAULT_KEY, FIXTURES
from .seed import Seeding, ean13
from .server import Server

__all__ = ["DEFAULT_KEY", "FIXTURES", "PrestaShopEmulator", "ean13"]


class PrestaShopEmulator(Server, Seeding):
    """The emulator (see the module's documentation); ``seed=False`` starts with no data."""

    def __init__(self, *, version: str = "8.2.1", key: str = DEFAULT_KEY, seed: bool = True, shuffle: bool = True,
                 debug_errors: bool = False, random_seed: int = 1) -> None:
        super().__init__(version=version, key=key, shuffle=shuffle, debug_errors=debug_errors,
                         random_seed=random_seed)
        if seed:
            self._seed()

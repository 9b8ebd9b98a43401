"""The emulated shop's state: its records, keys and faults, and the hooks tests use
to inject faults and count requests."""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from .common import DEFAULT_KEY, DIE_CART, METHODS, REALM, RawAnswer, Record, WsError
from .schema import Schema, load_schemas, recorded_resource_names


@dataclass
class Fault:
    kind: str
    count: int | None
    method: str | None
    path: str | None
    seconds: float
    text: str

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class ShopState:
    """The records (``data``: resource -> id -> record), the keys, the faults to inject and
    the requests seen; the small helpers every part of the emulator uses."""

    def __init__(self, *, version: str = "8.2.1", key: str = DEFAULT_KEY, shuffle: bool = True,
                 debug_errors: bool = False, random_seed: int = 1) -> None:
        self.version = version
        self.key = key
        self.keys: dict[str, dict[str, set[str]] | None] = {key: None}  # None: every permission
        self.inactive_keys: set[str] = set()
        self.shuffle = shuffle
        self.debug_errors = debug_errors
        self.rng = random.Random(random_seed)
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.seen: list[SeenRequest] = []
        self.data: dict[str, dict[int, Record]] = {}
        self.combos_by_product: dict[int, list[int]] = {}
        self.stock_by_product: dict[int, list[int]] = {}
        self.reductions: dict[int, float] = {}  # id_product -> specific-price reduction (0.2 = 20 %)
        self.used_carts: set[int] = set()
        self.clock = 0
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.port = 0
        self.resource_names = recorded_resource_names()
        self.schemas: dict[str, Schema] = load_schemas()

    # ---- addresses -------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def url(self) -> str:
        return self.base

    @property
    def is_17(self) -> bool:
        return self.version.startswith("1.")

    # ---- test hooks ------------------------------------------------------------------

    def inject(self, kind: str, *, count: int | None = 1, method: str | None = None, path: str | None = None,
               seconds: float = 0.5, text: str = DIE_CART) -> None:
        kinds = {"latency", "timeout", "empty_500", "die", "maintenance", "reset", "unauthorized", "order_fatal"}
        if kind not in kinds:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(kinds)}")
        with self.lock:
            self.faults.append(Fault(kind, count, method, path, seconds, text))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.seen if (method is None or r.method == method)
                       and (path is None or path in r.path))

    def reset_log(self) -> None:
        with self.lock:
            self.seen.clear()

    def add_key(self, key: str, permissions: dict[str, Iterable[str]] | None = None) -> None:
        """Another key; ``permissions``: resource -> methods (None: everything)."""
        with self.lock:
            self.keys[key] = None if permissions is None else {r: {m.upper() for m in ms}
                                                               for r, ms in permissions.items()}

    def _take_fault(self, method: str, path: str, order_fatal: bool = False) -> Fault | None:
        """The next fault for this request (``order_fatal`` ones are taken by the order creation only)."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path) and (fault.kind == "order_fatal") == order_fatal:
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    # ---- keys ------------------------------------------------------------------------

    def authenticate(self, headers: Any, query: dict[str, str]) -> str:
        key = None
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                key = base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        if not key and query.get("ws_key"):
            key = query["ws_key"]
        if not key:
            raise RawAnswer(401, b"401 Unauthorized", "text/html; charset=utf-8",
                            headers={"WWW-Authenticate": REALM, "PSWS-Version": ""})
        if len(key) != 32 or not key.isalnum():
            raise WsError(401, [(18, "Invalid authentication key format")])
        if key not in self.keys or key in self.inactive_keys:
            raise WsError(401, [(20, "Authentification key is not active"),
                                (21, "No permission for this authentication key")])
        return key

    def allowed(self, key: str, resource: str) -> set[str]:
        perms = self.keys.get(key)
        methods = set(METHODS) if perms is None else perms.get(resource, set())
        if self.is_17:
            methods.discard("PATCH")
        return methods

    # ---- records ---------------------------------------------------------------------

    def languages(self) -> list[int]:
        return sorted(self.data.get("languages", {1: {}}))

    def config(self, name: str, default: str = "") -> str:
        for row in self.data.get("configurations", {}).values():
            if row.get("name") == name:
                return str(row.get("value", default))
        return default

    def now(self) -> str:
        """A strictly increasing timestamp, so that date_upd changes on every write."""
        with self.lock:
            self.clock += 1
            return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + self.clock))

    def _put_record(self, resource: str, rec: Record) -> None:
        self.data.setdefault(resource, {})[int(rec["id"])] = rec
        if resource == "combinations":
            ids = self.combos_by_product.setdefault(int(rec["id_product"]), [])
            if int(rec["id"]) not in ids:
                ids.append(int(rec["id"]))
        elif resource == "stock_availables":
            ids = self.stock_by_product.setdefault(int(rec["id_product"]), [])
            if int(rec["id"]) not in ids:
                ids.append(int(rec["id"]))

    def _next_id(self, resource: str) -> int:
        rows = self.data.setdefault(resource, {})
        used = self.used_carts if resource == "carts" else ()
        return max([*rows, *used], default=0) + 1

    def _stock_row(self, sid: int, pid: int, attr_id: int, qty: int) -> Record:
        return {"id": str(sid), "id_product": str(pid), "id_product_attribute": str(attr_id), "id_shop": "1",
                "id_shop_group": "0", "quantity": str(qty), "depends_on_stock": "0", "out_of_stock": "2",
                "location": ""}

    def blank(self, resource: str) -> Record:
        return {f.name: ({lang: "" for lang in self.languages()} if f.i18n else "")
                for f in self.schemas[resource].fields}

"""What every part of the emulator shares: the fixtures, the protocol's constants, the
errors that end a request, and small text helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "prestashop" / "ps8.2.1-local"
XLINK = "{http://www.w3.org/1999/xlink}href"
RECORDED_BASE = "http://127.0.0.1:8080/api/"
DEFAULT_KEY = "POSTESTKEY0123456789ABCDEFGHIJKL"  # 32 characters, like a real key
METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")
REALM = ('Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
         'No password required."')
PHP_WARNINGS = [(3, "[PHP Warning #2] Trying to access array offset on value of type bool "
                    f"(/var/www/shop/classes/webservice/WebserviceRequest.php, line {n})") for n in range(1333, 1337)]
DIE_CART = "Cart cannot be loaded or an order has already been placed using this cart"
PAYMENT_MODULES = {"ps_checkpayment", "ps_wirepayment", "ps_cashondelivery"}
NOW = "2026-11-22 13:43:29"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
XML_TAIL = "</prestashop>\n"
XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json"

Record = dict[str, Any]


def singular(name: str) -> str:
    special = {"addresses": "address", "taxes": "tax", "accessories": "product", "product_bundle": "product"}
    if name in special:
        return special[name]
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# ---------------------------------------------------------------------------------- how a request ends


class QueryError(Exception):
    """A malformed query parameter: an envelope error (500 + PHP warnings in production)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class WsError(Exception):
    def __init__(self, status: int, errors: list[tuple[int, str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


class RawAnswer(Exception):
    """Answer with this exact status / body (empty 500 of a PHP fatal, die() pages, 404...)."""

    def __init__(self, status: int, body: bytes = b"", content_type: str | None = None, http10: bool = False,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.http10 = http10
        self.headers = headers or {}

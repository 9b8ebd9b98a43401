"""The PrestaShop Webservice errors, classified by the ``<code>`` of the error envelope.

PrestaShop's HTTP status is not reliable (bad query parameters come back as 500 in
production, a PHP fatal is an empty 500, ``die()`` pages are text/html), so the
client looks at the body first (``classify``) and at the status only when there
is no envelope.  ``str(error)`` is a translated message for the user; it never
contains the webservice key (URLs are masked before they reach an exception).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos.core.i18n import _

# PHP errors, warnings and notices appended by webserviceErrorHandler (they force HTTP 500).
PHP_CODES = frozenset(range(2, 16))


@dataclass(frozen=True)
class ErrorEntry:
    """One ``<error>`` of the envelope."""

    code: int | None
    message: str


class PrestaShopError(Exception):
    """Any failure talking to the Webservice.

    ``code``: the first non-PHP-warning ``<code>`` of the envelope (None without one);
    ``status``: the HTTP status (None for network errors); ``message``: PrestaShop's
    text (or ours); ``errors``: every envelope entry; ``url``: the request URL, key masked.
    """

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None,
                 errors: Sequence[ErrorEntry] = (), url: str = "", method: str = "") -> None:
        self.message = message
        self.code = code
        self.status = status
        self.errors = tuple(errors)
        self.url = url
        self.method = method
        super().__init__(self.user_message())

    def user_message(self) -> str:
        return _("PrestaShop error: {message}").format(message=self._detail())

    def _detail(self) -> str:
        text = self.message.strip() or _("no details")
        if self.code is not None:
            text = f"[{self.code}] {text}"
        if self.status is not None:
            text = f"{text} (HTTP {self.status})"
        return text

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
                f"message={self.message!r}, url={self.url!r})")


class AuthError(PrestaShopError):
    """The key is missing, malformed, unknown or inactive (codes 16-21, 401)."""

    def user_message(self) -> str:
        return _("PrestaShop refused the webservice key: {message}").format(message=self._detail())


class PermissionDenied(AuthError):
    """The key lacks this resource or method (codes 25, 26) or this shop (132)."""

    def user_message(self) -> str:
        return _("The webservice key lacks a permission: {message}").format(message=self._detail())


class WebserviceDisabled(AuthError):
    """The Webservice is switched off in the back office (code 22)."""

    def user_message(self) -> str:
        return _("The PrestaShop webservice is disabled: {message}").format(message=self._detail())


class NotFound(PrestaShopError):
    """No such object (empty-body 404 on GET, code 87 on DELETE)."""

    def user_message(self) -> str:
        return _("Not found on PrestaShop: {message}").format(message=self._detail())


class BadRequest(PrestaShopError):
    """PrestaShop rejected the request itself (bad filter/display/sort/limit, bad XML...)."""

    def user_message(self) -> str:
        return _("PrestaShop rejected the request: {message}").format(message=self._detail())


class NotWritable(BadRequest):
    """A read-only field was sent (code 93)."""


class RequiredField(BadRequest):
    """A required field is missing (code 41)."""


class ValidationError(BadRequest):
    """A field value is invalid (codes 84, 85)."""


class MethodNotAllowed(BadRequest):
    """The method is not valid for this resource or version (codes 23, 101)."""


class ServerError(PrestaShopError):
    """PrestaShop failed: PHP warnings only, an empty 500 (PHP fatal), a 5xx without details."""

    def user_message(self) -> str:
        return _("PrestaShop server error: {message}").format(message=self._detail())


class NotXmlError(ServerError):
    """The body is not the XML/JSON expected (a text/html die() page, a proxy page...)."""

    def user_message(self) -> str:
        return _("PrestaShop answered something that is not XML: {message}").format(message=self._detail())


class MaintenanceError(ServerError):
    """503: the shop is in maintenance or overloaded."""

    def user_message(self) -> str:
        return _("The shop is in maintenance or unavailable: {message}").format(message=self._detail())


class NetworkError(PrestaShopError):
    """The shop could not be reached, or the connection broke during the answer."""

    def user_message(self) -> str:
        return _("Cannot reach the shop: {message}").format(message=self.message)


class RequestTimeout(NetworkError):
    """No answer within the timeout.  For a POST the object may have been created."""

    def user_message(self) -> str:
        return _("The shop did not answer in time: {message}").format(message=self.message)


class LimitExceeded(PrestaShopError):
    """The shop went beyond a safety limit of the client: an answer too large, a list that never
    ends, a run too long.  Never retried."""

    def user_message(self) -> str:
        return _("Stopped talking to the shop: {message}").format(message=self.message)


_BY_CODE: dict[int, type[PrestaShopError]] = {
    **{c: AuthError for c in range(16, 22)},
    22: WebserviceDisabled,
    23: MethodNotAllowed,
    25: PermissionDenied,
    26: PermissionDenied,
    132: PermissionDenied,
    41: RequiredField,
    84: ValidationError,
    85: ValidationError,
    87: NotFound,
    93: NotWritable,
    101: MethodNotAllowed,
}


def primary_code(errors: Sequence[ErrorEntry]) -> int | None:
    """The code that says what went wrong: the first one that is not a PHP warning."""
    for entry in errors:
        if entry.code is not None and entry.code not in PHP_CODES:
            return entry.code
    for entry in errors:
        if entry.code is not None:
            return entry.code
    return None


def error_class(code: int | None, status: int) -> type[PrestaShopError]:
    """The exception class for an envelope whose primary code is ``code``."""
    if code is not None:
        if code in _BY_CODE:
            return _BY_CODE[code]
        if code in PHP_CODES:
            return ServerError
        if code in (46, 88):  # unable to save / not deleted: server side
            return ServerError
        return BadRequest
    if status == 401:
        return AuthError
    if status == 403:
        return PermissionDenied
    if status == 404:
        return NotFound
    if status == 405:
        return MethodNotAllowed
    if status == 503:
        return MaintenanceError
    if status >= 500:
        return ServerError
    return BadRequest

"""A thin PrestaShop Webservice client on ``requests``.

Transport (auth, timeouts, retries of idempotent requests), error classification
by the envelope's ``<code>``, pagination, partial updates (PATCH on 8.x, a full
PUT without the read-only fields on 1.7), ``test_connection``.  No database, no
Kivy: the sync jobs call it from a worker thread.

The key is sent as the HTTP Basic user (empty password), or as ``ws_key`` in the
query for hosts that strip ``Authorization``.  It never appears in a repr, a log
line or an exception: URLs are masked, and urllib3's debug log of request lines
is filtered.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from pos.core.errors import InvalidValue
from pos.core.i18n import _
from pos.sync import xml as psxml
from pos.sync.errors import (
    BadRequest,
    ErrorEntry,
    LimitExceeded,
    MaintenanceError,
    NetworkError,
    NotFound,
    NotXmlError,
    PrestaShopError,
    RequestTimeout,
    ServerError,
    error_class,
    primary_code,
)
from pos.sync.transport import Answer, DeadlinePassed, TooLarge, bounded_session, fetch
from pos.sync.xml import Record

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_BYTES = 50 * 2**20  # the default of the setting prestashop.max_response_mb
REQUEST_SECONDS = 120.0  # a whole request, retries included
MAX_PAGES = 10_000  # 1,000,000 objects at 100 a page
RUN_SECONDS = 3600.0  # the default of the setting prestashop.run_minutes

# Fields PrestaShop refuses on writes (code 93) that the synopsis does not always mark
# readOnly, and read-only associations (silently ignored, but never worth sending).
KNOWN_READ_ONLY: dict[str, frozenset[str]] = {
    "products": frozenset({"manufacturer_name", "quantity", "stock_availables"}),
    "combinations": frozenset(),
    "orders": frozenset({"order_rows"}),
    "customers": frozenset({"secure_key", "last_passwd_gen"}),
    "order_details": frozenset(),
}

# What the sync needs: resource -> methods.
ORDERS_MODE_PERMISSIONS: dict[str, frozenset[str]] = {
    "carts": frozenset({"GET", "POST"}),
    "orders": frozenset({"GET", "POST"}),
    "customers": frozenset({"GET", "POST"}),
    "addresses": frozenset({"GET", "POST"}),
}
SYNC_PERMISSIONS: dict[str, frozenset[str]] = {
    "products": frozenset({"GET"}),
    "combinations": frozenset({"GET"}),
    "product_options": frozenset({"GET"}),
    "product_option_values": frozenset({"GET"}),
    "stock_availables": frozenset({"GET"}),  # + PATCH (8.x) or PUT (1.7), added by test_connection
    "categories": frozenset({"GET"}),
    "taxes": frozenset({"GET"}),
    "tax_rule_groups": frozenset({"GET"}),
    "tax_rules": frozenset({"GET"}),
    "languages": frozenset({"GET"}),
    "currencies": frozenset({"GET"}),
    "configurations": frozenset({"GET"}),
    "orders": frozenset({"GET"}),
    "order_details": frozenset({"GET"}),
    "order_states": frozenset({"GET"}),
}

_WS_KEY_RE = re.compile(r"(ws_key=)[^&\s\"'#]*", re.IGNORECASE)


def mask_key(text: str, key: str | None = None) -> str:
    """``text`` with any ``ws_key=`` value and the key itself replaced by ``***``."""
    text = _WS_KEY_RE.sub(r"\1***", text)
    if key:
        text = text.replace(key, "***")
    return text


class _RedactWsKey(logging.Filter):
    """urllib3 logs request lines (with the query) at DEBUG: mask ws_key there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(mask_key(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = mask_key(record.msg)
        return True


_REDACT = _RedactWsKey()
for _name in ("urllib3.connectionpool", "requests"):
    if _REDACT not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_REDACT)


def normalise_base_url(url: str) -> str:
    """The ``/api/`` base from what a user typed.

    ``shop.fr`` → ``https://shop.fr/api/``; ``https://shop.fr/boutique`` →
    ``https://shop.fr/boutique/api/``; ``https://shop.fr/api`` → ``https://shop.fr/api/``.
    """
    url = (url or "").strip()
    if not url:
        raise InvalidValue(_("The shop address is empty."))
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue(_("Not a shop address: {url}").format(url=url))
    path = parts.path.rstrip("/")
    if path.endswith("/index.php"):
        path = path[: -len("/index.php")]
    if not path.endswith("/api"):
        path += "/api"
    return urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))


def version_tuple(version: str | None) -> tuple[int, ...]:
    out = []
    for part in (version or "").split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


# Query helpers: the values PrestaShop expects in filter[...] / display / sort.

def display(fields: Iterable[str] | str) -> str:
    """``display=full`` or ``display=[a,b]``."""
    return fields if isinstance(fields, str) else "[" + ",".join(fields) + "]"


def filter_in(values: Iterable[Any]) -> str:
    """``[a|b|c]``: equal to one of the values."""
    return "[" + "|".join(str(v) for v in values) + "]"


def filter_range(low: Any, high: Any) -> str:
    """``[low,high]``: BETWEEN, inclusive at both ends (numbers and dates only)."""
    return f"[{_fmt(low)},{_fmt(high)}]"


def filter_gt(value: Any) -> str:
    return f">[{_fmt(value)}]"


def filter_lt(value: Any) -> str:
    return f"<[{_fmt(value)}]"


def filter_begins(text: str) -> str:
    return f"[{text}]%"


def filter_contains(text: str) -> str:
    return f"%[{text}]%"


def _fmt(value: Any) -> str:
    return value.strftime(DATE_FORMAT) if isinstance(value, datetime) else str(value)


@dataclass
class Response:
    """What the transport returns once the status and body have been checked."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def version(self) -> str:
        return self.headers.get("PSWS-Version", "")

    @property
    def content_sha1(self) -> str:
        return self.headers.get("Content-Sha1", "")


@dataclass
class ConnectionReport:
    """What ``test_connection`` found."""

    url: str
    version: str
    shop_name: str
    permissions: dict[str, set[str]]
    missing: dict[str, set[str]]
    languages: list[dict[str, str]]
    default_language: int | None
    currency: dict[str, str] | None
    default_country: int | None
    patch: bool
    warnings: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)  # the jobs whose rights were checked
    missing_by_job: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.missing


class PrestaShopClient:
    """One shop's Webservice.

    ``timeout``: (connect, read) seconds for every call; ``retries``: extra attempts
    for idempotent requests after a network error, a timeout or 502/503/504
    (exponential backoff from ``backoff`` seconds); ``auth``: ``"basic"`` or ``"ws_key"``.
    ``version`` forces the PrestaShop version (else read from ``PSWS-Version``).
    """

    def __init__(self, url: str, key: str, *, auth: str = "basic", timeout: float | tuple[float, float] = (5.0, 30.0),
                 retries: int = 2, backoff: float = 0.5, session: requests.Session | None = None,
                 version: str | None = None, user_agent: str = "pos-till", max_bytes: int = MAX_BYTES,
                 request_seconds: float = REQUEST_SECONDS, max_pages: int = MAX_PAGES,
                 run_seconds: float | None = RUN_SECONDS) -> None:
        if auth not in ("basic", "ws_key"):
            raise ValueError(f"unknown auth mode {auth!r}")
        self.base_url = normalise_base_url(url)
        self._key = key
        self.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session, self._sockets = bounded_session(session)
        self.session.headers.setdefault("User-Agent", user_agent)
        self.max_bytes = max_bytes  # an answer larger than this is refused (memory stays bounded)
        self.request_seconds = request_seconds  # a whole request, retries included, even from a dripping server
        self.max_pages = max_pages  # a listing longer than this is refused (a shop that pages forever)
        self.run_deadline = None if run_seconds is None else time.monotonic() + run_seconds  # the whole run
        self.run_seconds = run_seconds
        self.version: str | None = version
        self._read_only_cache: dict[str, set[str]] = {}
        self._sleep = time.sleep

    def __repr__(self) -> str:
        return f"PrestaShopClient(url={self.base_url!r}, key='***', auth={self.auth!r}, version={self.version!r})"

    # ---- transport ---------------------------------------------------------------

    def url_for(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def mask(self, text: str) -> str:
        return mask_key(text, self._key)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                data: bytes | None = None, headers: Mapping[str, str] | None = None,
                allow_statuses: Iterable[int] = ()) -> Response:
        """Send one request (retried if idempotent) and return it, or raise a ``PrestaShopError``.

        2xx and the statuses in ``allow_statuses`` (e.g. 304) are returned; anything
        else is classified by its body.
        """
        method = method.upper()
        query = dict(params or {})
        auth: tuple[str, str] | None = (self._key, "")
        if self.auth == "ws_key":
            query["ws_key"] = self._key
            auth = None
        url = self.url_for(path)
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        allowed = set(allow_statuses)
        last: PrestaShopError | None = None
        deadline = self._deadline(method, url)
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                resp = fetch(self.session, self._sockets, method, url, deadline=deadline, max_bytes=self.max_bytes,
                             timeout=self.timeout, params=query, data=data, headers=dict(headers or {}), auth=auth,
                             allow_redirects=False)
            except DeadlinePassed:  # a server too slow or dripping: retrying would wait as long again
                raise RequestTimeout(_("no complete answer within {seconds} s").format(
                    seconds=f"{self.request_seconds:g}"), url=self.mask(url), method=method) from None
            except TooLarge as exc:
                raise LimitExceeded(_("the answer is larger than {mb} MB ({size} bytes or more): refused "
                                      "(setting prestashop.max_response_mb)").format(
                    mb=f"{self.max_bytes / 2**20:g}", size=exc.size), url=self.mask(url), method=method) from None
            except requests.Timeout as exc:
                last = RequestTimeout(self._network_text(exc, _("no answer in time")), url=self.mask(url),
                                      method=method)
            except (requests.RequestException, OSError) as exc:
                last = NetworkError(self._network_text(exc, _("connection failed")), url=self.mask(url),
                                    method=method)
            else:
                shown_url = self.mask(resp.url)
                version = resp.headers.get("PSWS-Version")
                if version and version != "0" and not self.version:
                    self.version = version
                    log.info("PrestaShop %s at %s", version, self.base_url)
                if 200 <= resp.status < 300 or resp.status in allowed:
                    return Response(resp.status, resp.headers, resp.content, shown_url)
                last = self._classify(method, shown_url, resp)
                if resp.status not in RETRY_STATUSES or last.errors:
                    raise last
            if attempt + 1 < attempts:
                log.warning("PrestaShop %s %s failed (%s); retrying", method, self.mask(url), last.message)
        assert last is not None
        raise last

    def _network_text(self, exc: Exception, fallback: str) -> str:
        text = self.mask(str(exc))
        return f"{fallback}: {text}" if text else fallback

    def _deadline(self, method: str, url: str) -> float:
        """When the request must be over: its own limit, or the end of the run if that comes first."""
        now = time.monotonic()
        if self.run_deadline is not None and now >= self.run_deadline:
            raise LimitExceeded(_("the synchronisation ran longer than its limit ({minutes} min) and stopped; "
                                  "run it again to finish").format(minutes=f"{(self.run_seconds or 0) / 60:g}"),
                                url=self.mask(url), method=method)
        deadline = now + self.request_seconds
        return deadline if self.run_deadline is None else min(deadline, self.run_deadline)

    def _classify(self, method: str, url: str, resp: Answer | requests.Response) -> PrestaShopError:
        status = resp.status_code
        body = resp.content or b""
        ctype = resp.headers.get("Content-Type", "").lower()
        entries: list[ErrorEntry] = []
        stripped = body.lstrip()
        if stripped.startswith(b"<?xml") or stripped.startswith(b"<prestashop"):
            try:
                entries = psxml.parse_errors(psxml.parse(body))
            except NotXmlError:
                entries = []
        elif "json" in ctype or stripped.startswith(b"{"):
            entries = psxml.parse_json_errors(body)
        kwargs: dict[str, Any] = {"status": status, "url": url, "method": method}
        if entries:
            code = primary_code(entries)
            main = next((e for e in entries if e.code == code), entries[0])
            cls = error_class(code, status)
            return cls(self.mask(main.message), code=code, errors=entries, **kwargs)
        text = self.mask(body.decode("utf-8", "replace").strip())[:300]
        if 300 <= status < 400:
            location = self.mask(resp.headers.get("Location", ""))
            return BadRequest(_("redirected to {location} (wrong shop address or shop id?)").format(
                location=location), **kwargs)
        if status == 503:
            return MaintenanceError(text or _("service unavailable"), **kwargs)
        if status == 404:
            return NotFound(_("no such object"), **kwargs)
        if status == 401:
            if not text or text == "401 Unauthorized":
                text = _("no key received (the host may strip the Authorization header: try the ws_key mode)")
            return error_class(None, status)(text, **kwargs)
        if not body.strip():
            return ServerError(_("empty answer (PHP fatal error on the shop)"), **kwargs)
        if "html" in ctype or not stripped.startswith(b"<"):
            return NotXmlError(text, **kwargs)
        return error_class(None, status)(text, **kwargs)

    # ---- reads ----------------------------------------------------------------------

    @staticmethod
    def query(*, display_: Iterable[str] | str | None = None, filters: Mapping[str, Any] | None = None,
              sort: Iterable[str] | str | None = None, limit: int | tuple[int, int] | str | None = None,
              date: bool = False, language: int | None = None,
              extra: Mapping[str, Any] | None = None) -> dict[str, str]:
        params: dict[str, str] = {}
        if display_ is not None:
            params["display"] = display(display_)
        for name, value in (filters or {}).items():
            params[f"filter[{name}]"] = str(value)
        if sort is not None:
            params["sort"] = sort if isinstance(sort, str) else "[" + ",".join(sort) + "]"
        if limit is not None:
            params["limit"] = (f"{limit[0]},{limit[1]}" if isinstance(limit, tuple) else str(limit))
        if date:
            params["date"] = "1"
        if language is not None:
            params["language"] = str(language)
        for name, value in (extra or {}).items():
            params[name] = str(value)
        return params

    def get(self, resource: str, id_: int | str, *, display_: Iterable[str] | str | None = None,
            language: int | None = None, params: Mapping[str, Any] | None = None) -> Record:
        """One object (XML, so falsy fields are kept).  ``NotFound`` if it does not exist."""
        resp = self.request("GET", f"{resource}/{id_}",
                            params=self.query(display_=display_, language=language, extra=params))
        return psxml.parse_record(self._xml(resp))

    def list(self, resource: str, *, display_: Iterable[str] | str | None = "full",
             filters: Mapping[str, Any] | None = None, sort: Iterable[str] | str | None = None,
             limit: int | tuple[int, int] | str | None = None, date: bool = False, language: int | None = None,
             params: Mapping[str, Any] | None = None) -> list[Record]:
        """One list request.  ``display_=None`` gives ids only (``[{"id": "1"}, ...]``)."""
        uses_date = date or any(k.startswith("date_") for k in (filters or {})) or (
            sort is not None and "date_" in (sort if isinstance(sort, str) else ",".join(sort)))
        resp = self.request("GET", resource, params=self.query(
            display_=display_, filters=filters, sort=sort, limit=limit, date=uses_date, language=language,
            extra=params))
        return psxml.parse_list(self._xml(resp))

    def list_json(self, resource: str, *, display_: Iterable[str] | str, filters: Mapping[str, Any] | None = None,
                  sort: Iterable[str] | str | None = None, limit: int | tuple[int, int] | str | None = None,
                  language: int | None = None, params: Mapping[str, Any] | None = None,
                  raw: bool = False) -> list[Record]:
        """``list`` read as JSON (``output_format=JSON``): the same records, parsed much faster.  For
        large read-only listings; a list keeps its falsy fields in JSON (a detail does not).  ``raw``:
        the items as ``json`` decodes them, values not converted (``psxml.parse_json_rows``)."""
        uses_date = any(k.startswith("date_") for k in (filters or {})) or (
            sort is not None and "date_" in (sort if isinstance(sort, str) else ",".join(sort)))
        resp = self.request("GET", resource, params=self.query(
            display_=display_, filters=filters, sort=sort, limit=limit, date=uses_date, language=language,
            extra={**(params or {}), "output_format": "JSON"}))
        return psxml.parse_json_rows(resp.content) if raw else psxml.parse_json_list(resp.content)

    def iter_all(self, resource: str, *, page_size: int = 100, display_: Iterable[str] | str | None = "full",
                 filters: Mapping[str, Any] | None = None, date: bool = False, language: int | None = None,
                 params: Mapping[str, Any] | None = None) -> Iterator[Record]:
        """Every matching object, page by page (``sort=[id_ASC]&limit=offset,count``).

        PrestaShop gives no total: the last page is the first one shorter than ``page_size``.
        """
        if page_size < 1:
            raise ValueError("page_size must be positive")
        offset = 0
        for _page in range(self.max_pages):
            page = self.list(resource, display_=display_, filters=filters, sort="[id_ASC]",
                             limit=(offset, page_size), date=date, language=language, params=params)
            yield from page
            if len(page) < page_size:
                return
            offset += page_size
        raise LimitExceeded(_("{resource}: more than {pages} pages of {size}: stopped (a shop that never ends "
                              "its list?)").format(resource=resource, pages=self.max_pages, size=page_size),
                            url=self.mask(self.url_for(resource)), method="GET")

    def changed_since(self, resource: str, since: datetime | str, until: datetime | str | None = None, *,
                      page_size: int = 100, display_: Iterable[str] | str | None = "full",
                      filters: Mapping[str, Any] | None = None, language: int | None = None) -> Iterator[Record]:
        """Objects whose ``date_upd`` is in [since, until] (inclusive: PrestaShop emits BETWEEN).

        Sends ``date=1`` (without it PrestaShop answers a 500, code 32).  ``stock_availables``
        has no dates: scan it with ``iter_all`` instead.
        """
        if resource == "stock_availables":
            raise ValueError("stock_availables has no date_upd: use iter_all")
        until = until or "2999-12-31 23:59:59"
        merged = dict(filters or {})
        merged["date_upd"] = filter_range(since, until)
        return self.iter_all(resource, page_size=page_size, display_=display_, filters=merged, date=True,
                             language=language)

    def head(self, resource: str, *, params: Mapping[str, Any] | None = None) -> Response:
        return self.request("HEAD", resource, params=params)

    def get_raw(self, path: str, *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> Response:
        """Any GET, 304 allowed (send ``Local-Content-Sha1`` in ``headers``)."""
        return self.request("GET", path, params=params, headers=headers, allow_statuses=(304,))

    def _xml(self, resp: Response) -> bytes:
        if not resp.content.strip():
            raise NotXmlError(_("empty answer"), status=resp.status, url=resp.url)
        return resp.content

    # ---- writes ---------------------------------------------------------------------

    @property
    def supports_patch(self) -> bool:
        """PATCH exists from PrestaShop 8.0 (1.7 answers 405, code 23)."""
        if self.version is None:
            self.request("HEAD", "")
        return version_tuple(self.version) >= (8,)

    def read_only_fields(self, resource: str) -> set[str]:
        """Fields never to send back: the synopsis's readOnly ones plus the known traps."""
        if resource not in self._read_only_cache:
            fields = set(KNOWN_READ_ONLY.get(resource, ()))
            try:
                resp = self.request("GET", resource, params={"schema": "synopsis"})
                fields |= psxml.read_only_in_synopsis(psxml.parse_synopsis(resp.content))
            except (BadRequest, NotXmlError):
                pass
            self._read_only_cache[resource] = fields
        return self._read_only_cache[resource]

    def create(self, resource: str, record: Mapping[str, Any], *, params: Mapping[str, Any] | None = None) -> Record:
        """POST (never retried).  The echo may lack server-computed fields: GET it again if needed."""
        if record.get("id") not in (None, ""):
            raise ValueError("an id is forbidden when creating (PrestaShop code 91)")
        body = psxml.build_body(resource, {k: v for k, v in record.items() if k != "id"},
                                exclude=self.read_only_fields(resource))
        resp = self.request("POST", resource, data=body, params=params, headers={"Content-Type": "text/xml"})
        return psxml.parse_record(self._xml(resp))

    def replace(self, resource: str, id_: int | str, record: Mapping[str, Any]) -> Record:
        """A full PUT (omitted fields are blanked by PrestaShop!), read-only fields stripped."""
        body_id = str(record.get("id", id_))
        if body_id != str(id_):
            raise ValueError(f"id mismatch: URL {id_}, body {body_id}")
        full = {"id": str(id_), **{k: v for k, v in record.items() if k != "id"}}
        body = psxml.build_body(resource, full, exclude=self.read_only_fields(resource))
        resp = self.request("PUT", f"{resource}/{id_}", data=body, headers={"Content-Type": "text/xml"})
        return psxml.parse_record(self._xml(resp))

    def update(self, resource: str, id_: int | str, changes: Mapping[str, Any]) -> Record:
        """Change some fields: PATCH on 8.x; on 1.7, GET the full object, merge, PUT it back."""
        changes = {k: v for k, v in changes.items() if k != "id"}
        if self.supports_patch:
            body = psxml.build_body(resource, {"id": str(id_), **changes}, exclude=self.read_only_fields(resource))
            resp = self.request("PATCH", f"{resource}/{id_}", data=body, headers={"Content-Type": "text/xml"})
            return psxml.parse_record(self._xml(resp))
        current = self.get(resource, id_)
        for name, value in changes.items():
            if isinstance(value, Mapping) and isinstance(current.get(name), dict) and name != "associations":
                current[name] = {**current[name], **value}
            else:
                current[name] = value
        return self.replace(resource, id_, current)

    def delete(self, resource: str, id_: int | str) -> None:
        self.request("DELETE", f"{resource}/{id_}")

    # ---- connection test ------------------------------------------------------------

    def permissions(self) -> tuple[str, dict[str, set[str]]]:
        """``GET /api/``: the shop name and the methods the key may use per resource."""
        resp = self.request("GET", "")
        return psxml.parse_api_root(self._xml(resp))

    def configuration(self, names: Iterable[str]) -> dict[str, str]:
        rows = self.list("configurations", display_=["name", "value"], filters={"name": filter_in(names)})
        return {str(r.get("name")): str(r.get("value") or "") for r in rows}

    def test_connection(self, required: Mapping[str, Iterable[str]] | None = None, *,
                        orders_mode: bool = False, jobs: Iterable[str] | None = None) -> ConnectionReport:
        """Check the key and read what the sync needs to know about the shop.

        ``jobs`` (default: those the mode enables, ``pos.sync.rights.enabled_jobs``): every right each
        of them uses is checked.  Raises the ``PrestaShopError`` of the first failing call (bad key,
        unreachable shop...); missing permissions are reported, not raised.
        """
        from pos.sync import rights

        shop_name, perms = self.permissions()
        patch = version_tuple(self.version) >= (8,)
        job_list = list(jobs) if jobs is not None else rights.enabled_jobs("orders" if orders_mode else "stock")
        by_job = rights.missing_by_job(job_list, perms, patch)
        if required is None:
            required = rights.required(job_list, patch)
        missing = {res: set(methods) - perms.get(res, set()) for res, methods in required.items()}
        missing = {res: methods for res, methods in missing.items() if methods}
        warnings: list[str] = []
        languages: list[dict[str, str]] = []
        config: dict[str, str] = {}
        currency: dict[str, str] | None = None
        if "GET" in perms.get("languages", set()):
            languages = [{k: v for k, v in r.items() if isinstance(v, str)}
                         for r in self.list("languages", display_="full", sort="[id_ASC]")]
        if "GET" in perms.get("configurations", set()):
            config = self.configuration(["PS_LANG_DEFAULT", "PS_CURRENCY_DEFAULT", "PS_COUNTRY_DEFAULT"])
        cur_id = config.get("PS_CURRENCY_DEFAULT")
        if cur_id and "GET" in perms.get("currencies", set()):
            try:
                rec = self.get("currencies", cur_id)
                currency = {k: v for k, v in rec.items() if isinstance(v, str)}
            except NotFound:
                warnings.append(_("The default currency {id} does not exist.").format(id=cur_id))
        version = self.version or ""
        if version_tuple(version) < (8,):
            warnings.append(_("PrestaShop {version}: no PATCH, updates are full PUTs.").format(version=version))
        patch_ok = version_tuple(version) >= (8,)

        def as_int(value: str | None) -> int | None:
            return int(value) if value and value.isdigit() else None

        return ConnectionReport(url=self.base_url, version=version, shop_name=shop_name, permissions=perms,
                                missing=missing, languages=languages,
                                default_language=as_int(config.get("PS_LANG_DEFAULT")), currency=currency,
                                default_country=as_int(config.get("PS_COUNTRY_DEFAULT")), patch=patch_ok,
                                warnings=warnings, jobs=job_list, missing_by_job=by_job)

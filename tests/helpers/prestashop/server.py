"""The HTTP side: a threaded server on 127.0.0.1, the request handler (with the injected
network faults), and the routing of a request to a read or a write, with the Webservice's
authentication, permissions and envelope (headers, status codes, 304, error bodies)."""

from __future__ import annotations

import difflib
import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from .common import JSON_TYPE, METHODS, PHP_WARNINGS, REALM, XML_TYPE, QueryError, RawAnswer, WsError
from .state import SeenRequest
from .writes import Writes


class Server(Writes):
    # ---- life cycle ------------------------------------------------------------------

    def start(self) -> Self:
        emulator = self

        class Handler(_Handler):
            shop = emulator

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True, name="prestashop-emulator")
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- requests --------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
               ) -> tuple[int, dict[str, str], bytes, bool]:
        started = time.time()
        json_out = "JSON" in (query.get("output_format", "") + query.get("io_format", "")
                              + headers.get("Output-Format", "") + headers.get("Io-Format", "")).upper()
        version = self.version
        http10 = False
        extra: dict[str, str] = {}
        try:
            status, payload, ctype = self.route(method, path, query, headers, body, json_out)
        except WsError as err:
            status, payload, ctype = err.status, self.render_errors(err.errors, json_out), (
                JSON_TYPE if json_out else XML_TYPE)
            if status == 401:
                version = "0"
                extra["WWW-Authenticate"] = REALM
        except QueryError as err:
            errors = [(err.code, err.message)]
            status = 400
            if not self.debug_errors:
                status, errors = 500, errors + PHP_WARNINGS
            payload, ctype = self.render_errors(errors, json_out), JSON_TYPE if json_out else XML_TYPE
        except RawAnswer as raw:
            status, payload, ctype, http10 = raw.status, raw.body, raw.content_type, raw.http10
            extra.update(raw.headers)
            if "PSWS-Version" in raw.headers:
                version = raw.headers["PSWS-Version"]
        out = {"X-Powered-By": "PrestaShop Webservice", "Access-Time": str(int(time.time())),
               "Set-Cookie": "PrestaShop-0123456789abcdef=def50200noise; path=/; HttpOnly; SameSite=Lax"}
        if version:
            out["PSWS-Version"] = version
        out["Execution-Time"] = f"{time.time() - started:.3f}"
        if payload:
            sha1 = hashlib.sha1(payload).hexdigest()
            out["Content-Sha1"] = sha1
            if (status == 200 and method in ("GET", "HEAD") and not self.is_17
                    and headers.get("Local-Content-Sha1") == sha1):
                status, payload, ctype = 304, b"", None
        if ctype:
            out["Content-Type"] = ctype
        out.update({k: v for k, v in extra.items() if k != "PSWS-Version"})
        return status, out, payload, http10

    def route(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes, json_out: bool
              ) -> tuple[int, bytes, str | None]:
        if not path.startswith("/api"):
            raise RawAnswer(404, b"Not Found", "text/html; charset=utf-8", headers={"PSWS-Version": ""})
        key = self.authenticate(headers, query)
        if method == "POST" and query.get("ps_method"):
            method = query["ps_method"].upper()
        if query.get("id_shop") not in (None, "", "1", "all"):
            raise RawAnswer(302, b"", "text/html; charset=utf-8", http10=True,
                            headers={"Location": f"{self.base}../?url={path[5:]}", "PSWS-Version": ""})
        parts = [unquote(p) for p in path[len("/api"):].strip("/").split("/") if p]
        if not parts:
            if method not in ("GET", "HEAD"):
                raise WsError(405, [(23, f"Method {method} is not valid")])
            return 200, self.render_api_root(key), XML_TYPE
        resource = parts[0]
        if resource not in self.resource_names:
            close = difflib.get_close_matches(resource, self.resource_names, n=1)
            hint = f' Did you mean: "{close[0]}"?' if close else ""
            full = ", ".join(f'"{r}"' for r in self.resource_names)
            raise WsError(400, [(27, f'Resource of type "{resource}" does not exists.{hint} The full list is: {full}')])
        if method not in METHODS:
            raise WsError(405, [(23, f"Method {method} is not valid")])
        if method == "PATCH" and self.is_17:
            raise WsError(405, [(23, "Method PATCH is not valid")])
        allowed = self.allowed(key, resource)
        if not allowed:
            raise WsError(401, [(26, f'Resource of type "{resource}" is not allowed with this authentication key')])
        if method not in allowed:
            raise WsError(405, [(25, f"Method {method} is not allowed with this authentication key")])
        if resource in ("stock_availables", "stock_movements", "stocks") and method in ("POST", "DELETE") or (
                resource in ("stock_movements", "stocks", "search") and method in ("PUT", "PATCH")):
            raise WsError(405, [(101, f"Method {method} is not allowed for the resource {resource}")])
        id_ = parts[1] if len(parts) > 1 else query.get("id") if method == "DELETE" else None
        with self.lock:
            if method in ("GET", "HEAD"):
                if resource not in self.schemas:
                    if id_ is not None:
                        raise RawAnswer(404)
                    return 200, self.wrap_list(resource, [], json_out), JSON_TYPE if json_out else XML_TYPE
                if query.get("schema") is not None:
                    return 200, self.render_schema(resource, query["schema"]), XML_TYPE
                if id_ is not None:
                    return 200, self.get_one(resource, id_, query, json_out), JSON_TYPE if json_out else XML_TYPE
                return 200, self.get_list(resource, query, json_out), JSON_TYPE if json_out else XML_TYPE
            if resource not in self.schemas:
                raise WsError(501, [(124, f"Specific management not implemented for {resource} in this emulator")])
            if method == "DELETE":
                return self.delete(resource, id_)
            return self.write(method, resource, body, query)


class _Handler(BaseHTTPRequestHandler):
    shop: Any = None
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass

    def _serve(self) -> None:
        shop: Server = self.shop
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        method = self.command
        with shop.lock:
            shop.seen.append(SeenRequest(method, split.path, dict(query), dict(self.headers.items()), body))
        fault = shop._take_fault(method, split.path)
        if fault is not None:
            if fault.kind in ("latency", "timeout"):
                time.sleep(fault.seconds)
                if fault.kind == "timeout":
                    return self._hang_up()
            elif fault.kind == "empty_500":
                return self._send(500, {"Content-Type": "text/html; charset=utf-8"}, b"", http10=True)
            elif fault.kind == "die":
                return self._send(500, {"Content-Type": "text/html; charset=utf-8"}, fault.text.encode())
            elif fault.kind == "maintenance":
                page = b"<!doctype html><html><body><h1>We are currently updating our shop</h1></body></html>"
                return self._send(503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "1"}, page)
            elif fault.kind == "unauthorized":
                errors = shop.render_errors([(20, "Authentification key is not active"),
                                             (21, "No permission for this authentication key")], False)
                return self._send(401, {"Content-Type": XML_TYPE, "PSWS-Version": "0", "WWW-Authenticate": REALM},
                                  errors)
        status, headers, payload, http10 = shop.handle(method, split.path, query, self.headers, body)
        if fault is not None and fault.kind == "reset":
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: max(1, len(payload) // 2)])
            self.wfile.flush()
            return self._hang_up()
        self._send(status, headers, b"" if method == "HEAD" else payload, http10=http10,
                   length=len(payload))

    def _hang_up(self) -> None:
        """Drop the connection without (the rest of) an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status: int, headers: dict[str, str], payload: bytes, *, http10: bool = False,
              length: int | None = None) -> None:
        try:
            if http10:
                self.protocol_version = "HTTP/1.0"
                self.close_connection = True
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload) if length is None else length))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

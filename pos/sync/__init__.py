"""PrestaShop synchronisation (articles, stock, web orders).

``client.PrestaShopClient`` talks to the Webservice (``/api/``): transport,
errors classified by the envelope's code (``errors``), pagination, PATCH/PUT,
``test_connection``; ``xml`` parses and builds the XML envelope with defusedxml.
The sync jobs (later) use it from a worker thread; no Kivy, no database here.
"""

from pos.sync.client import ConnectionReport, PrestaShopClient, normalise_base_url
from pos.sync.errors import (
    AuthError,
    BadRequest,
    MaintenanceError,
    MethodNotAllowed,
    NetworkError,
    NotFound,
    NotWritable,
    NotXmlError,
    PermissionDenied,
    PrestaShopError,
    RequestTimeout,
    RequiredField,
    ServerError,
    ValidationError,
    WebserviceDisabled,
)

__all__ = [
    "AuthError", "BadRequest", "ConnectionReport", "MaintenanceError", "MethodNotAllowed", "NetworkError",
    "NotFound", "NotWritable", "NotXmlError", "PermissionDenied", "PrestaShopClient", "PrestaShopError",
    "RequestTimeout", "RequiredField", "ServerError", "ValidationError", "WebserviceDisabled",
    "normalise_base_url",
]

"""The Webservice client against the emulator (127.0.0.1 only, short timeouts)."""

from __future__ import annotations

import logging
import time

import pytest
from helpers.prestashop.emulator import FIXTURES, PrestaShopEmulator

from pos.sync import xml as psxml
from pos.sync.client import PrestaShopClient, filter_in, normalise_base_url
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
)


@pytest.fixture(scope="module")
def shop():
    with PrestaShopEmulator() as emulator:
        yield emulator


@pytest.fixture
def fresh():
    with PrestaShopEmulator() as emulator:
        yield emulator


def client_for(shop: PrestaShopEmulator, **kw) -> PrestaShopClient:
    kw.setdefault("timeout", 2)
    kw.setdefault("backoff", 0)
    return PrestaShopClient(shop.url, kw.pop("key", shop.key), **kw)


@pytest.mark.parametrize("typed,base", [
    ("shop.fr", "https://shop.fr/api/"),
    ("https://shop.fr/", "https://shop.fr/api/"),
    ("https://shop.fr/boutique", "https://shop.fr/boutique/api/"),
    ("https://shop.fr/api", "https://shop.fr/api/"),
    ("http://shop.fr:8080/boutique/api/", "http://shop.fr:8080/boutique/api/"),
    ("  shop.fr/index.php ", "https://shop.fr/api/"),
])
def test_url_normalisation(typed, base):
    assert normalise_base_url(typed) == base


def test_bad_urls():
    for bad in ("", "ftp://shop.fr", "https://"):
        with pytest.raises(ValueError):
            normalise_base_url(bad)


@pytest.mark.parametrize("auth", ["basic", "ws_key"])
def test_auth_modes_and_version(shop, auth):
    client = client_for(shop, auth=auth)
    assert client.get("products", 1)["reference"] == "demo_1"
    assert client.version == "8.2.1" and client.supports_patch
    last = shop.seen[-1]
    if auth == "basic":
        assert "Authorization" in last.headers and "ws_key" not in last.query
    else:
        assert "Authorization" not in last.headers and last.query["ws_key"] == shop.key


def test_bad_keys(shop):
    with pytest.raises(AuthError) as err:
        client_for(shop, key="WRONGKEY").get("products", 1)
    assert err.value.code == 18 and err.value.status == 401
    with pytest.raises(AuthError) as err:
        client_for(shop, key="Z" * 32).get("products", 1)
    assert err.value.code == 20
    with pytest.raises(AuthError) as err:  # no credentials at all: text/html 401
        client_for(shop, key="").get("products", 1)
    assert err.value.code is None and "ws_key" in err.value.message


def test_multilang_and_associations(shop):
    client = client_for(shop)
    product = client.get("products", 1)
    assert product["name"] == {1: "Hummingbird printed t-shirt", 2: "T-shirt imprimé colibri"}
    assoc = product["associations"]
    assert [c["id"] for c in assoc["combinations"]] == [str(i) for i in range(1, 9)]
    assert assoc["stock_availables"][0] == {"id": "1", "id_product_attribute": "0"}
    combo = client.get("combinations", 1)
    assert [v["id"] for v in combo["associations"]["product_option_values"]] == ["1", "8"]
    only_fr = client.get("products", 1, display_=["id", "name"], language=2)
    assert only_fr == {"id": "1", "name": {2: "T-shirt imprimé colibri"}}


def test_1_6_shapes_parse():
    base = FIXTURES.parent / "ps1.6-oca-cassettes"
    product = psxml.parse_record((base / "product_1.xml").read_bytes())
    assert product["new"] == "" and product["reference"] == "demo_1"
    assert psxml.parse_list((base / "stock_availables_filtered_list.xml").read_bytes()) == [{"id": "1"}]


def test_pagination_and_display(fresh):
    fresh.generate_products(230, combinations=1)
    client = client_for(fresh)
    fresh.reset_log()
    rows = list(client.iter_all("products", page_size=50, display_=["id", "reference"]))
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 19 + 230
    assert set(rows[0]) == {"id", "reference"}
    pages = [r for r in fresh.seen if r.path == "/api/products"]
    assert len(pages) == 5 and all(p.query["sort"] == "[id_ASC]" for p in pages)
    assert pages[-1].query["limit"] == "200,50"
    ids_only = client.list("products", display_=None, filters={"id": filter_in([1, 2])})
    assert sorted(r["id"] for r in ids_only) == ["1", "2"]


def test_date_delta(fresh):
    client = client_for(fresh)
    client.update("products", 3, {"price": "9.5"})
    stamp = client.get("products", 3)["date_upd"]
    changed = list(client.changed_since("products", stamp, display_=["id", "date_upd"]))
    assert [r["id"] for r in changed] == ["3"]
    req = [r for r in fresh.seen if r.query.get("filter[date_upd]")][-1]
    assert req.query["date"] == "1" and req.query["filter[date_upd]"].startswith("[" + stamp + ",")
    with pytest.raises(ValueError):
        client.changed_since("stock_availables", stamp)


def test_patch_on_8(fresh):
    client = client_for(fresh)
    fresh.reset_log()
    echo = client.update("stock_availables", 21, {"quantity": 250})
    assert echo["quantity"] == "250" and echo["id_shop"] == "1"
    patch = [r for r in fresh.seen if r.method == "PATCH"]
    assert len(patch) == 1 and b"<id>21</id>" in patch[0].body and b"id_product" not in patch[0].body
    assert client.get("stock_availables", 1)["quantity"] == str(300 * 7 + 250)


def test_put_on_17_strips_read_only_fields():
    with PrestaShopEmulator(version="1.7.8.11") as shop:
        client = client_for(shop)
        before = client.get("products", 1)
        echo = client.update("products", 1, {"price": "24.5", "name": {2: "T-shirt colibri"}})
        assert echo["price"] == "24.5"
        after = client.get("products", 1)
        assert after["name"] == {1: before["name"][1], 2: "T-shirt colibri"}
        assert after["reference"] == before["reference"] and after["link_rewrite"] == before["link_rewrite"]
        put = [r for r in shop.seen if r.method == "PUT"][-1]
        assert b"manufacturer_name" not in put.body and b"<quantity>" not in put.body
        assert not [r for r in shop.seen if r.method == "PATCH"]
        # The emulator's 1.7 mode refuses PATCH and read-only fields, like the real ones.
        with pytest.raises(MethodNotAllowed) as err:
            client.request("PATCH", "products/1", data=b"<prestashop><product><id>1</id></product></prestashop>")
        assert err.value.code == 23
        raw = client.request("GET", "products/1").content
        with pytest.raises(NotWritable) as err:
            client.request("PUT", "products/1", data=raw)
        assert err.value.code == 93 and "manufacturer_name" in err.value.message


def test_replace_checks_id(shop):
    client = client_for(shop)
    with pytest.raises(ValueError):
        client.replace("products", 1, {"id": "2", "price": "1"})
    with pytest.raises(ValueError):
        client.create("products", {"id": "5"})


def test_create_and_delete(fresh):
    client = client_for(fresh)
    created = client.create("addresses", {"id_customer": "3", "id_country": "8", "alias": "POS", "lastname": "C",
                                          "firstname": "W", "address1": "1 rue", "city": "Paris", "postcode": "75001"})
    assert created["id"] and created["alias"] == "POS"
    client.delete("addresses", created["id"])
    with pytest.raises(NotFound) as err:
        client.delete("addresses", created["id"])
    assert err.value.code == 87
    with pytest.raises(NotFound) as err:
        client.get("products", 9999)
    assert err.value.status == 404 and err.value.code is None


@pytest.mark.parametrize("params,cls,code", [
    ({"display": "[id,nope]"}, BadRequest, 35),
    ({"sort": "[name]"}, BadRequest, 37),
    ({"limit": "1,2,3"}, BadRequest, 39),
    ({"filter[date_upd]": ">[2020-01-01 00:00:00]"}, BadRequest, 32),
])
def test_query_errors_are_classified_by_code_not_status(shop, params, cls, code):
    with pytest.raises(cls) as err:
        client_for(shop).request("GET", "products", params=params)
    assert err.value.code == code and err.value.status == 500
    assert len(err.value.errors) == 5  # plus the PHP warnings


def test_recorded_error_envelopes_classification():
    """Each recorded error body maps to its class (status as recorded)."""
    import requests

    from pos.sync.errors import MethodNotAllowed as MNA

    expected = {
        "error_400_id_forbidden.xml": (BadRequest, 91), "error_400_id_required.xml": (BadRequest, 90),
        "error_400_not_writable_manufacturer_name.xml": (NotWritable, 93),
        "error_400_not_writable_quantity.xml": (NotWritable, 93),
        "error_400_required_id_product_stock.xml": (RequiredField, 41),
        "error_400_required_price.xml": (RequiredField, 41),
        "error_400_unknown_resource.xml": (BadRequest, 27), "error_400_unknown_resource.json": (BadRequest, 27),
        "error_401_inactive_key.xml": (AuthError, 20), "error_401_invalid_key_format.xml": (AuthError, 18),
        "error_404_delete_missing.xml": (NotFound, 87), "error_405_post_stock_availables.xml": (MNA, 101),
        "error_500_bad_display.xml": (BadRequest, 35), "error_500_bad_limit.xml": (BadRequest, 39),
        "error_500_bad_sort.xml": (BadRequest, 37), "error_500_filter_without_date1.xml": (BadRequest, 32),
        "error_500_invalid_xml.xml": (BadRequest, 127),
    }
    client = PrestaShopClient("http://127.0.0.1:9/", "K" * 32)
    for name, (cls, code) in expected.items():
        status = int(name.split("_")[1])
        resp = requests.Response()
        resp.status_code = status
        resp._content = (FIXTURES / name).read_bytes()
        resp.headers["Content-Type"] = "application/json" if name.endswith(".json") else "text/xml;charset=utf-8"
        err = client._classify("GET", "http://x/api/", resp)
        assert type(err) is cls and err.code == code, name


def test_server_side_failures(fresh):
    client = client_for(fresh, retries=0)
    fresh.inject("empty_500")
    with pytest.raises(ServerError) as err:
        client.get("products", 1)
    assert type(err.value) is ServerError and err.value.status == 500
    fresh.inject("die", text="Cart cannot be loaded or an order has already been placed using this cart")
    with pytest.raises(NotXmlError) as err:
        client.get("products", 1)
    assert "Cart cannot be loaded" in err.value.message
    fresh.inject("maintenance")
    with pytest.raises(MaintenanceError):
        client.get("products", 1)
    fresh.inject("unauthorized", path="/api/products")
    with pytest.raises(AuthError):
        client.get("products", 1)
    assert client.get("products", 1)["id"] == "1"  # faults are consumed


def test_permission_errors():
    with PrestaShopEmulator() as shop:
        shop.add_key("R" * 32, {"products": ["GET"], "languages": ["GET"]})
        client = client_for(shop, key="R" * 32)
        with pytest.raises(PermissionDenied) as err:
            client.update("products", 1, {"price": "1"})
        assert err.value.code == 25
        with pytest.raises(PermissionDenied) as err:
            client.get("orders", 1)
        assert err.value.code == 26
        report = client.test_connection()
        assert not report.ok and "stock_availables" in report.missing and report.currency is None


def test_retries_only_idempotent_requests(fresh):
    client = client_for(fresh, retries=2)
    fresh.inject("maintenance", count=2, path="/api/products/1")
    assert client.get("products", 1)["id"] == "1"
    assert fresh.count("GET", "/api/products/1") == 3
    fresh.inject("reset", count=1, method="PATCH", path="/api/stock_availables/20")
    assert client.update("stock_availables", 20, {"quantity": 5})["quantity"] == "5"
    assert fresh.count("PATCH", "/api/stock_availables/20") == 2
    fresh.inject("maintenance", count=5, method="POST")
    with pytest.raises(MaintenanceError):
        client.create("addresses", {"id_customer": "3", "id_country": "8", "alias": "x", "lastname": "a",
                                    "firstname": "b", "address1": "c", "city": "d", "postcode": "75001"})
    assert fresh.count("POST", "/api/addresses") == 1


def test_connection_reset_mid_page(fresh):
    client = client_for(fresh, retries=0)
    fresh.inject("reset", path="/api/products")
    with pytest.raises(NetworkError) as err:
        client.list("products", display_="full")
    assert type(err.value) is NetworkError


def test_timeouts_are_short_and_not_retried_for_post(fresh):
    client = client_for(fresh, timeout=0.2, retries=1)
    fresh.inject("timeout", seconds=0.5, count=None, method="POST", path="/api/carts")
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        client.create("carts", {"id_currency": "1", "id_lang": "1"})
    assert fresh.count("POST", "/api/carts") == 1
    assert time.monotonic() - started < 1
    fresh.clear_faults()
    fresh.inject("latency", seconds=0.05)
    assert client.get("products", 1)["id"] == "1"


def test_key_never_leaks(fresh, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(fresh, auth="ws_key", timeout=0.2, retries=1)
    assert fresh.key not in repr(client)
    client.get("products", 1)
    fresh.inject("timeout", seconds=0.4, count=2)
    with pytest.raises(RequestTimeout) as err:
        client.get("products", 2)
    fresh.inject("empty_500")
    with pytest.raises(ServerError) as err2:
        client.get("products", 2)
    bad = client_for(fresh, key="Z" * 32, auth="ws_key")
    with pytest.raises(AuthError) as err3:
        bad.get("products", 1)
    texts = [caplog.text, str(err.value), repr(err.value), err.value.url, str(err2.value), repr(err2.value),
             err2.value.url, repr(bad), str(err3.value), err3.value.url]
    assert "ws_key=***" in err2.value.url
    for text in texts:
        assert fresh.key not in text and "Z" * 32 not in text


def test_xml_bomb_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<prestashop><product><id>&lol2;</id></product></prestashop>")
    with pytest.raises(NotXmlError):
        psxml.parse_record(bomb)
    xxe = (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<prestashop><product><id>&x;</id></product></prestashop>")
    with pytest.raises(NotXmlError):
        psxml.parse_record(xxe)


def test_test_connection(shop):
    report = client_for(shop).test_connection()
    assert report.ok and report.version == "8.2.1" and report.patch and report.shop_name == "TestShop"
    assert [lang["iso_code"] for lang in report.languages] == ["en", "fr"]
    assert report.default_language == 1 and report.default_country == 8
    assert report.currency is not None and report.currency["iso_code"] == "EUR"
    assert "PATCH" in report.permissions["stock_availables"]


def test_test_connection_on_17():
    with PrestaShopEmulator(version="1.7.8.11") as shop:
        report = client_for(shop).test_connection()
        assert report.ok and not report.patch and report.warnings
        assert "PATCH" not in report.permissions["products"]


def test_errors_are_prestashop_errors():
    for cls in (AuthError, NotFound, BadRequest, ServerError, NetworkError, RequestTimeout, MaintenanceError):
        assert issubclass(cls, PrestaShopError)


@pytest.mark.parametrize("resource,fields", [("products", "[id,reference,price,active,name,ean13]"),
                                             ("combinations", "full"),
                                             ("stock_availables", "[id,id_product,id_product_attribute,quantity]")])
def test_json_lists_are_the_xml_records(shop, resource, fields):
    client = client_for(shop)
    xml_rows = client.list(resource, display_=fields, sort="[id_ASC]", limit=(0, 30))
    assert xml_rows and client.list_json(resource, display_=fields, sort="[id_ASC]", limit=(0, 30)) == xml_rows
    assert client.list_json(resource, display_="[id]", filters={"id": "[999999]"}) == []


def test_a_json_list_that_is_not_one_is_refused():
    from pos.sync import xml as psxml

    for body in (b"{", b'{"a": 1, "b": 2}', b'{"products": 3}', b'{"products": [1]}'):
        with pytest.raises(NotXmlError):
            psxml.parse_json_list(body)

"""Differential test: the same requests to the emulator (tests/helpers/prestashop) and to the real
PrestaShop 8.2.1 (PRESTASHOP_TEST_URL / PRESTASHOP_TEST_KEY, started by .ci/run), and the shapes of
their answers compared: status, body kind, error codes, fields, list lengths and paging.

Values are not compared (the real shop's stock and dates move with the other live tests); what the
sync relies on is.  Nothing here changes the real shop: the writes are ones both must refuse.
Skipped without the two variables; the emulator stays the fast default for development.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from defusedxml import ElementTree
from helpers.prestashop.emulator import PrestaShopEmulator

URL = os.environ.get("PRESTASHOP_TEST_URL")
KEY = os.environ.get("PRESTASHOP_TEST_KEY")

pytestmark = pytest.mark.skipif(not (URL and KEY), reason="PRESTASHOP_TEST_URL and PRESTASHOP_TEST_KEY not set")

SYNC_RESOURCES = {"products", "combinations", "product_options", "product_option_values", "stock_availables",
                  "categories", "taxes", "tax_rules", "tax_rule_groups", "languages", "configurations", "orders",
                  "order_states", "customers", "addresses", "carts", "currencies"}
NOT_WRITABLE = b"<prestashop><product><id>1</id><quantity>5</quantity></product></prestashop>"
WITH_ID = b"<prestashop><product><id>3</id><price>1</price></product></prestashop>"
STOCK = b"<prestashop><stock_available><quantity>1</quantity></stock_available></prestashop>"

# The emulator's seed holds fewer combinations, options and tax rules than the real demo shop:
# for these, the fields are compared, not how many rows came.
SEED_DIFFERS = {"combinations_of", "options", "tax_rules", "json_list_associations"}

# name -> (method, path, params, body, auth: "key" | "none" | "badformat" | "unknown")
REQUESTS: dict[str, tuple[str, str, dict[str, str], bytes | None, str]] = {
    "root": ("GET", "", {}, None, "key"),
    "product_detail": ("GET", "products/1", {}, None, "key"),
    "product_display_detail": ("GET", "products/1", {"display": "[id,name,price]"}, None, "key"),
    "combination_detail": ("GET", "combinations/1", {}, None, "key"),
    "page_ids": ("GET", "products", {"sort": "[id_ASC]", "limit": "5,5"}, None, "key"),
    "page_display": ("GET", "products", {"display": "[id,reference,price,id_tax_rules_group]",
                                         "sort": "[id_ASC]", "limit": "5,5"}, None, "key"),
    "page_full": ("GET", "products", {"display": "full", "sort": "[id_ASC]", "limit": "0,2"}, None, "key"),
    "filter_in": ("GET", "products", {"display": "[id]", "filter[id]": "[2|4|6]", "sort": "[id_ASC]"}, None, "key"),
    "filter_none": ("GET", "products", {"display": "[id]", "filter[id]": "[999999]"}, None, "key"),
    "stock_by_product": ("GET", "stock_availables", {"display": "full", "filter[id_product]": "[1]",
                                                     "sort": "[id_ASC]"}, None, "key"),
    "combinations_of": ("GET", "combinations", {"display": "[id,id_product,reference,price]",
                                                "filter[id_product]": "[1|2]", "sort": "[id_ASC]"}, None, "key"),
    "options": ("GET", "product_options", {"display": "[id,position,name,public_name]", "sort": "[id_ASC]"},
                None, "key"),
    "tax_rules": ("GET", "tax_rules", {"display": "[id,id_tax_rules_group,id_state,id_tax]",
                                       "filter[id_country]": "[8]", "sort": "[id_ASC]"}, None, "key"),
    "configuration": ("GET", "configurations", {"display": "[name,value]",
                                                "filter[name]": "[PS_LANG_DEFAULT|PS_COUNTRY_DEFAULT]"}, None, "key"),
    "languages": ("GET", "languages", {"display": "full", "sort": "[id_ASC]"}, None, "key"),
    "order_states": ("GET", "order_states", {"display": "[id]", "sort": "[id_ASC]"}, None, "key"),
    "virtual_price_detail": ("GET", "products/1", {"price[final_wt][use_tax]": "1"}, None, "key"),
    "virtual_price_display": ("GET", "products/1", {"price[final_wt][use_tax]": "1",
                                                    "display": "[id,price,final_wt]"}, None, "key"),
    "virtual_price_not_displayed": ("GET", "products/1", {"price[final_wt][use_tax]": "1",
                                                          "display": "[id,price]"}, None, "key"),
    "schema_blank": ("GET", "products", {"schema": "blank"}, None, "key"),
    "json_detail": ("GET", "products/1", {"output_format": "JSON"}, None, "key"),
    "json_list_i18n": ("GET", "products", {"output_format": "JSON", "display": "[id,name,price,active,ean13]",
                                           "sort": "[id_ASC]", "limit": "0,3"}, None, "key"),
    "json_list_one_language": ("GET", "products", {"output_format": "JSON", "display": "[id,name]",
                                                   "language": "1", "sort": "[id_ASC]", "limit": "0,3"}, None, "key"),
    "json_list_associations": ("GET", "combinations", {"output_format": "JSON", "display": "full",
                                                       "filter[id_product]": "[1]", "sort": "[id_ASC]"}, None, "key"),
    "json_list_stock": ("GET", "stock_availables", {"output_format": "JSON",
                                                    "display": "[id,id_product,id_product_attribute,quantity]",
                                                    "filter[id_product]": "[6]"}, None, "key"),
    "json_empty_list": ("GET", "products", {"output_format": "JSON", "display": "[id]", "filter[id]": "[999999]"},
                        None, "key"),
    "missing_object": ("GET", "products/999999", {}, None, "key"),
    "unknown_filter": ("GET", "products", {"filter[nope]": "1"}, None, "key"),
    "unknown_display": ("GET", "products", {"display": "[nope]"}, None, "key"),
    "limit_not_a_number": ("GET", "products", {"limit": "abc"}, None, "key"),  # (int)"abc": LIMIT 0
    "limit_leading_digits": ("GET", "products", {"limit": "2x", "sort": "[id_ASC]"}, None, "key"),
    "limit_three_parts": ("GET", "products", {"limit": "1,2,3"}, None, "key"),
    "limit_negative": ("GET", "products", {"limit": "-1"}, None, "key"),
    "date_without_date1": ("GET", "orders", {"filter[date_upd]": "[2020-01-01 00:00:00,2020-01-02 00:00:00]"},
                           None, "key"),
    "stock_by_date": ("GET", "stock_availables", {"date": "1", "filter[date_upd]": ">[2020-01-01 00:00:00]"},
                      None, "key"),
    "post_stock": ("POST", "stock_availables", {}, STOCK, "key"),
    "post_with_id": ("POST", "products", {}, WITH_ID, "key"),
    "patch_not_writable": ("PATCH", "products/1", {}, NOT_WRITABLE, "key"),
    "no_credentials": ("GET", "products", {}, None, "none"),
    "bad_key_format": ("GET", "products", {}, None, "badformat"),
    "unknown_key": ("GET", "products", {}, None, "unknown"),
}


def shape(resp: requests.Response) -> dict[str, Any]:
    """What the sync relies on in an answer, values left out."""
    body = resp.content
    out: dict[str, Any] = {"status": resp.status_code}
    ctype = resp.headers.get("Content-Type", "").lower()
    stripped = body.strip()
    if not stripped:
        out["body"] = "empty"
        return out
    if "json" in ctype or stripped[:1] in (b"{", b"["):
        data = json.loads(body)
        out["body"] = "json"
        if isinstance(data, list):
            out["json"] = "[]" if not data else "list"
        elif "errors" in data:
            out["codes"] = sorted(int(e["code"]) for e in data["errors"])
        else:
            (name, value), = data.items()
            out["json"] = name
            if isinstance(value, list):  # a list: its items' fields, and how each field is shaped
                out["count"] = len(value)
                out["fields"] = sorted({(k, type(v).__name__) for item in value for k, v in item.items()})
            else:
                out["fields"] = sorted(value) if isinstance(value, dict) else None
        return out
    if not stripped.startswith(b"<"):
        out["body"] = "text"
        return out
    out["body"] = "xml"
    root = ElementTree.fromstring(body)
    errors = root.find("errors")
    if errors is not None:
        out["codes"] = sorted({int((e.findtext("code") or "0").strip()) for e in errors} - set(range(2, 16)))
        return out
    (child,) = list(root)
    out["element"] = child.tag
    items = list(child)
    if child.tag == "api":
        out["resources"] = sorted({i.tag for i in items} & SYNC_RESOURCES)
    elif items and all(len(i) or i.get("id") for i in items) and items[0].tag != "id" and child.tag.endswith("s") \
            and items[0].tag + "s" == child.tag or (items and items[0].tag == child.tag[:-1]):
        out["count"] = len(items)
        out["ids"] = [i.get("id") or i.findtext("id") for i in items] if child.tag in ("products", "languages",
                                                                                        "order_states") else None
        out["fields"] = sorted({f.tag for i in items for f in i})
    else:
        out["fields"] = sorted(i.tag for i in items)
        out["languages"] = sorted({lang.get("id") for i in items for lang in i.findall("language")})
    return out


def send(base: str, key: str, spec: tuple[str, str, dict[str, str], bytes | None, str]) -> requests.Response:
    method, path, params, body, auth_kind = spec
    auth = {"key": (key, ""), "none": None, "badformat": ("short", ""),
            "unknown": ("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "")}[auth_kind]
    return requests.request(method, base.rstrip("/") + "/api/" + path, params=params, data=body, auth=auth,
                            timeout=(5, 60), allow_redirects=False)


@pytest.fixture(scope="module")
def emulator():
    with PrestaShopEmulator() as ps:
        yield ps


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_same_shape_as_the_real_shop(emulator, name):
    assert URL and urlsplit(URL).hostname == "127.0.0.1"
    spec = REQUESTS[name]
    real = shape(send(URL, KEY or "", spec))
    emulated = shape(send(emulator.url.split("/api")[0], emulator.key, spec))
    if name in SEED_DIFFERS:
        assert real.pop("count") > 0 and emulated.pop("count") > 0
    assert emulated == real, f"{name}: emulator {emulated} != real shop {real}"


LISTS = [("products", "[id,reference,price,id_tax_rules_group,active,name,ean13,date_upd]"),
         ("combinations", "full"), ("stock_availables", "[id,id_product,id_product_attribute,id_shop,quantity]")]


@pytest.mark.parametrize("resource,fields", LISTS)
def test_json_and_xml_lists_give_the_same_records(emulator, resource, fields):
    """The pull reads its big lists as JSON (faster to parse): the records must be the XML ones."""
    from pos.sync.client import PrestaShopClient

    for client in (PrestaShopClient(URL or "", KEY or ""), PrestaShopClient(emulator.url, emulator.key)):
        xml_rows = client.list(resource, display_=fields, sort="[id_ASC]", limit=(0, 25))
        json_rows = client.list_json(resource, display_=fields, sort="[id_ASC]", limit=(0, 25))
        assert xml_rows and json_rows == xml_rows

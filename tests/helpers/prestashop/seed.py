"""The demo data: the recorded fixtures' records, completed (categories, tax rules,
configuration, order states, options, products 2..19, orders 6 and 8), and synthetic
products for the benchmarks (``generate_products``)."""

from __future__ import annotations

import copy
import json
import re
import string

from .common import FIXTURES, NOW, Record
from .schema import fixture_records, parse_record
from .state import ShopState


class Seeding(ShopState):
    def _seed_file(self, resource: str, name: str) -> list[Record]:
        out = []
        for el in fixture_records(name):
            rec = parse_record(el)
            self._put_record(resource, rec)
            out.append(rec)
        return out

    def _seed(self) -> None:
        for resource, name in [("languages", "languages.xml"), ("currencies", "currencies.xml"),
                               ("shops", "shops.xml"), ("taxes", "taxes.xml"),
                               ("tax_rule_groups", "tax_rule_groups.xml"), ("tax_rules", "tax_rules_group_1.xml"),
                               ("categories", "category_2.xml"), ("orders", "order_1_demo.xml"),
                               ("orders", "order_7_created_via_ws.xml"),
                               ("order_details", "order_details_order_1.xml"),
                               ("order_histories", "order_histories_order_7.xml"),
                               ("order_payments", "order_payments_order_7.xml"), ("carts", "cart_post_response.xml"),
                               ("customers", "customer_post_response.xml"),
                               ("addresses", "address_post_response.xml")]:
            self._seed_file(resource, name)
        self.used_carts.add(7)
        # Categories 3..9 under Home.
        home = self.data["categories"][2]
        names = {3: "Clothes", 4: "Men", 5: "Women", 6: "Accessories", 7: "Stationery", 8: "Home Accessories",
                 9: "Art"}
        for cid, name in names.items():
            cat = copy.deepcopy(home)
            cat.update(id=str(cid), id_parent="2" if cid in (3, 6, 9) else ("3" if cid in (4, 5) else "6"),
                       level_depth="2", is_root_category="0", position=str(cid),
                       name={1: name, 2: name}, link_rewrite={1: slug(name), 2: slug(name)},
                       associations={"categories": []})
            self._put_record("categories", cat)
        # Tax rules for France (country 8): group N -> tax N.
        rule = self.data["tax_rules"][1]
        for gid in range(1, 5):
            extra = dict(rule, id=str(100 + gid), id_tax_rules_group=str(gid), id_country="8", id_tax=str(gid))
            self._put_record("tax_rules", extra)
        # Configuration.
        conf = json.loads((FIXTURES / "configurations_selected.json").read_text(encoding="utf-8"))["configurations"]
        conf.append({"name": "PS_COUNTRY_DEFAULT", "value": "8"})
        for i, row in enumerate(conf, start=1):
            self._put_record("configurations", {"id": str(i), "value": row["value"], "name": row["name"],
                                                "id_shop_group": "", "id_shop": "", "date_add": NOW,
                                                "date_upd": NOW})
        for row in json.loads((FIXTURES / "order_states.json").read_text(encoding="utf-8"))["order_states"]:
            self._put_record("order_states", {
                "id": str(row["id"]), "unremovable": "1", "delivery": "0", "hidden": "0", "send_email": "0",
                "module_name": row["module_name"], "invoice": row["paid"], "color": "#34209E",
                "logable": row["logable"], "shipped": "0", "paid": row["paid"], "pdf_delivery": "0",
                "pdf_invoice": "0", "deleted": "0", "name": {1: row["name"], 2: row["name"]},
                "template": {1: "", 2: ""}})
        # Product option values (sizes and colours of the demo).
        for pid, (group, name) in {1: (1, "S"), 2: (1, "M"), 3: (1, "L"), 4: (1, "XL"), 8: (2, "White"),
                                   11: (2, "Black")}.items():
            self._put_record("product_option_values", {"id": str(pid), "id_attribute_group": str(group),
                                                       "color": "", "position": "0", "name": {1: name, 2: name}})
        # Their groups (attribute groups): Size and Colour.
        for gid, (name, colour) in {1: ("Size", "0"), 2: ("Colour", "1")}.items():
            self._put_record("product_options", {
                "id": str(gid), "is_color_group": colour, "group_type": "color" if colour == "1" else "select",
                "position": str(gid - 1), "name": {1: name, 2: name}, "public_name": {1: name, 2: name},
                "associations": {"product_option_values": [{"id": str(v)} for v in ((1, 2, 3, 4) if gid == 1
                                                                                    else (8, 11))]}})
        # Products: 1 from the fixture (8 combinations), 2..19 cloned from it without combinations.
        product = self._seed_file("products", "product_1.xml")[0]
        self.reductions[1] = 0.2
        combo = parse_record(fixture_records("combination_1.xml")[0])
        values = [(1, 8), (1, 11), (2, 8), (2, 11), (3, 8), (3, 11), (4, 8), (4, 11)]
        for cid in range(1, 9):
            c = copy.deepcopy(combo)
            c.update(id=str(cid), default_on="1" if cid == 1 else "0")
            c["associations"]["product_option_values"] = [{"id": str(v)} for v in values[cid - 1]]
            self._put_record("combinations", c)
        self._seed_file("stock_availables", "stock_availables_product_1.xml")
        refs = {1: "demo_1", 2: "demo_3", 3: "demo_6", 4: "demo_5", 5: "demo_7", 6: "demo_11", 7: "demo_12",
                8: "demo_13", 9: "demo_15", 10: "demo_16", 11: "demo_17", 12: "demo_18", 13: "demo_19",
                14: "demo_2", 15: "demo_4", 16: "demo_8", 17: "demo_9", 18: "demo_10", 19: "demo_14"}
        names2 = {2: ("Hummingbird printed sweater", "Pull imprimé colibri"),
                  11: ("Hummingbird cushion", "Coussin colibri"),
                  14: ("Hummingbird - Vector graphics", "Illustration vectorielle Colibri"),
                  18: ("Hummingbird notebook", "Carnet de notes Colibri"),
                  19: ("Customizable mug", "Mug personnalisable")}
        stock_qty = {2: 2100, 3: 1500}
        for pid in range(2, 20):
            en, fr = names2.get(pid, (f"Demo product {pid}", f"Produit démo {pid}"))
            p = copy.deepcopy(product)
            p.update(id=str(pid), reference=refs[pid], name={1: en, 2: fr},
                     link_rewrite={1: slug(en), 2: slug(fr)}, price=f"{10 + pid:.6f}",
                     cache_default_attribute="0", id_default_combination="0", product_type="standard")
            p["associations"] = {k: ([] if k != "categories" else [{"id": "2"}])
                                 for k in product["associations"]}
            self._put_record("products", p)
            self._put_record("stock_availables", self._stock_row(pid, pid, 0, stock_qty.get(pid, 300)))
        self.data["stock_availables"][1]["quantity"] = "2400"
        # Orders 6 (half-created after a PHP fatal) and 8 (payment error), as recorded.
        o7 = self.data["orders"][7]
        for oid, state, paid_real in ((6, "0", "0.000000"), (8, "8", "62.800000")):
            o = copy.deepcopy(o7)
            o.update(id=str(oid), current_state=state, valid="0", total_paid_real=paid_real,
                     id_cart=str(oid), reference="".join(self.rng.choices(string.ascii_uppercase, k=9)))
            self._put_record("orders", o)
            self.used_carts.add(oid)

    def generate_products(self, n: int, *, combinations: int = 0, start_id: int | None = None,
                          date_upd: str | None = None) -> list[int]:
        """Add ``n`` synthetic products (each with ``combinations`` combinations and stock rows)."""
        with self.lock:
            template = self.data["products"][1]
            pid = start_id or self._next_id("products")
            cid = self._next_id("combinations")
            sid = self._next_id("stock_availables")
            stamp = date_upd or NOW
            created = []
            for _ in range(n):
                p = {k: (dict(v) if isinstance(v, dict) else v) for k, v in template.items()}
                name = f"Article {pid:06d}"
                p.update(id=str(pid), reference=f"SYN{pid:06d}", ean13=ean13(pid), name={1: name, 2: name},
                         link_rewrite={1: f"article-{pid}", 2: f"article-{pid}"}, price=f"{(pid % 97) + 0.5:.6f}",
                         date_add=stamp, date_upd=stamp, cache_default_attribute=str(cid if combinations else 0),
                         id_default_combination=str(cid if combinations else 0),
                         product_type="combinations" if combinations else "standard")
                p["associations"] = {"categories": [{"id": "2"}], "images": [], "product_option_values": [],
                                     "product_features": [], "tags": [], "attachments": [], "accessories": [],
                                     "product_bundle": []}
                self.data["products"][pid] = p
                self._put_record("stock_availables", self._stock_row(sid, pid, 0, 10 * combinations or 10))
                sid += 1
                for k in range(combinations):
                    self._put_record("combinations", {
                        "id": str(cid), "id_product": str(pid), "ean13": "", "isbn": "", "upc": "", "mpn": "",
                        "reference": f"SYN{pid:06d}-{k + 1}", "supplier_reference": "", "wholesale_price": "0.000000",
                        "price": f"{k:.6f}", "ecotax": "0.000000", "weight": "0.000000",
                        "unit_price_impact": "0.000000", "minimal_quantity": "1", "low_stock_threshold": "0",
                        "low_stock_alert": "0", "default_on": "1" if k == 0 else "0", "available_date": "0000-00-00",
                        "available_now": {1: "", 2: ""}, "available_later": {1: "", 2: ""},
                        "associations": {"product_option_values": [{"id": str(1 + k % 4)}], "images": []}})
                    self._put_record("stock_availables", self._stock_row(sid, pid, cid, 10))
                    sid += 1
                    cid += 1
                created.append(pid)
                pid += 1
            return created


def slug(text: str) -> str:
    import unicodedata
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def ean13(n: int) -> str:
    body = f"200{n:09d}"[-12:]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)

"""Orders made from carts (``POST orders``): totals from the cart's products, order
details, payments and history, stock decremented, and the failures PrestaShop shows (a
used cart, an invalid payment module, a payment error, a PHP fatal half-way)."""

from __future__ import annotations

import string
from typing import Any

from .common import DIE_CART, PAYMENT_MODULES, XML_HEAD, XML_TAIL, XML_TYPE, RawAnswer, Record, WsError
from .render import Render


class Orders(Render):
    def cart_lines(self, cart: Record) -> list[tuple[Record, dict[str, str], float, float]]:
        """(product, cart row, unit price tax excl., tax rate) for each cart row."""
        lines = []
        for row in cart.get("associations", {}).get("cart_rows", []):
            product = self.data["products"].get(int(row.get("id_product") or 0))
            if product is None:
                raise RawAnswer(500, b"", "text/html; charset=utf-8", http10=True, headers={"PSWS-Version": ""})
            unit = float(self.virtual_price(product, {"use_tax": "0",
                                                      "product_attribute": row.get("id_product_attribute", "0")}))
            lines.append((product, row, unit, self.tax_rate(product.get("id_tax_rules_group", ""))))
        return lines

    def create_order(self, rec: Record, assoc: dict[str, Any], langs: list[int]) -> tuple[int, bytes, str]:
        cart_id = int(rec.get("id_cart") or 0)
        cart = self.data.get("carts", {}).get(cart_id)
        if cart is None or cart_id in self.used_carts:
            raise RawAnswer(500, DIE_CART.encode(), "text/html; charset=utf-8", headers={"PSWS-Version": ""})
        if rec.get("module") not in PAYMENT_MODULES:
            raise WsError(400, [(85, "Property Order->module is not valid")])
        lines = self.cart_lines(cart)
        total_te = round(sum(unit * int(row.get("quantity") or 0) for _, row, unit, _ in lines), 2)
        total_ti = round(sum(round(unit * (1 + rate / 100), 2) * int(row.get("quantity") or 0)
                             for _, row, unit, rate in lines), 2)
        oid = self._next_id("orders")
        echo_rec = dict(rec, id=str(oid))
        self.used_carts.add(cart_id)
        fault = self._take_fault("POST", "/api/orders", order_fatal=True)
        stamp = self.now()
        order = dict(rec, id=str(oid), reference="".join(self.rng.choices(string.ascii_uppercase, k=9)),
                     date_add=stamp, date_upd=stamp, id_shop="1", id_shop_group="1",
                     secure_key=self.data["customers"].get(int(rec["id_customer"] or 0), {}).get("secure_key", ""),
                     total_paid_tax_incl=f"{total_ti:.6f}", total_paid_tax_excl=f"{total_te:.6f}",
                     total_products=f"{total_te:.6f}", total_products_wt=f"{total_ti:.6f}",
                     total_paid=f"{float(rec['total_paid']):.6f}", round_mode="2", round_type="2")
        rows = []
        for n, (product, row, unit, rate) in enumerate(lines):
            did = self._next_id("order_details")
            qty = int(row.get("quantity") or 0)
            name = product["name"].get(int(rec.get("id_lang") or 1), "") if isinstance(product["name"], dict) else ""
            detail = {"id": str(did), "id_order": str(oid), "product_id": product["id"],
                      "product_attribute_id": row.get("id_product_attribute", "0"), "product_name": name,
                      "product_quantity": str(qty), "product_price": f"{unit:.6f}",
                      "product_reference": product.get("reference", ""), "product_ean13": product.get("ean13", ""),
                      "unit_price_tax_incl": f"{unit * (1 + rate / 100):.6f}", "unit_price_tax_excl": f"{unit:.6f}",
                      "total_price_tax_incl": f"{unit * (1 + rate / 100) * qty:.6f}",
                      "total_price_tax_excl": f"{unit * qty:.6f}", "id_shop": "1", "id_customization": "0"}
            self._put_record("order_details", {**self.blank("order_details"), **detail})
            rows.append({"id": str(did), "product_id": product["id"],
                         "product_attribute_id": row.get("id_product_attribute", "0"), "product_quantity": str(qty),
                         "product_name": name, "product_reference": product.get("reference", ""),
                         "product_ean13": product.get("ean13", ""), "product_isbn": "", "product_upc": "",
                         "product_price": f"{unit:.6f}", "id_customization": "0",
                         "unit_price_tax_incl": f"{unit * (1 + rate / 100):.6f}", "unit_price_tax_excl": f"{unit:.6f}"})
            if fault is not None and fault.kind == "order_fatal" and n == 0:
                order.update(current_state="0", valid="0", total_paid_real="0.000000")
                order["associations"] = {"order_rows": rows}
                self._put_record("orders", order)
                raise RawAnswer(500, b"", "text/html; charset=utf-8", http10=True, headers={"PSWS-Version": ""})
        order["associations"] = {"order_rows": rows}
        paid = round(float(rec.get("total_paid") or 0), 2)
        if abs(paid - total_ti) > 0.000001:
            state = self.config("PS_OS_ERROR", "8")
            order.update(current_state=state, valid="0")
        else:
            state = self.config("PS_OS_WS_PAYMENT", "11")
            order.update(current_state=state, valid="1", invoice_number=str(oid), invoice_date=stamp)
            for product, row, _, _ in lines:
                self.decrement_stock(int(product["id"]), int(row.get("id_product_attribute") or 0),
                                     int(row.get("quantity") or 0))
            self._put_record("order_payments", {
                **self.blank("order_payments"), "id": str(self._next_id("order_payments")),
                "order_reference": order["reference"], "id_currency": rec.get("id_currency", "1"),
                "amount": f"{paid:.6f}", "payment_method": rec.get("payment", ""), "conversion_rate": "1.000000",
                "date_add": stamp})
        self._put_record("orders", order)
        self.add_history(oid, state)
        echo_rec["associations"] = {"order_rows": rows}
        sch = self.schemas["orders"]
        for name in ("current_state", "reference", "date_add", "date_upd", "valid", "invoice_number",
                     "invoice_date", "delivery_number", "delivery_date", "secure_key", "id_shop", "id_shop_group"):
            echo_rec[name] = ""
        echo = self.xml_record("orders", echo_rec, sch.fields, ["order_rows"], langs, {}, echo=True)
        return 201, (XML_HEAD + echo + XML_TAIL).encode("utf-8"), XML_TYPE

    def add_history(self, oid: int, state: str) -> None:
        self._put_record("order_histories", {
            "id": str(self._next_id("order_histories")), "id_employee": "0",
            "id_order_state": str(state), "id_order": str(oid), "date_add": self.now()})

    def decrement_stock(self, pid: int, attr_id: int, qty: int) -> None:
        for sid in self.stock_by_product.get(pid, []):
            row = self.data["stock_availables"][sid]
            if int(row["id_product_attribute"]) == attr_id:
                row["quantity"] = str(int(row["quantity"] or 0) - qty)
        self.recompute_parent(pid)

    def recompute_parent(self, pid: int) -> None:
        rows = [self.data["stock_availables"][s] for s in self.stock_by_product.get(pid, [])]
        combos = [r for r in rows if r["id_product_attribute"] != "0"]
        if combos:
            for parent in (r for r in rows if r["id_product_attribute"] == "0"):
                parent["quantity"] = str(sum(int(r["quantity"] or 0) for r in combos
                                             if r.get("id_shop") == parent.get("id_shop")))

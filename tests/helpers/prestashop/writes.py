"""Writes: POST, PUT (a full replacement), PATCH and DELETE, with PrestaShop's checks
(read-only and required fields, ids) and side effects (stock rows of new products,
secure keys of customers, order history, a parent's stock as the sum of its combinations')."""

from __future__ import annotations

import copy
import hashlib
import re
import time
import xml.etree.ElementTree as ET
from urllib.parse import unquote

from .common import XML_HEAD, XML_TAIL, XML_TYPE, Record, WsError, singular
from .orders import Orders
from .schema import parse_record


class Writes(Orders):
    def parse_body(self, resource: str, body: bytes) -> Record:
        text = body.decode("utf-8", "replace")
        if text.startswith("xml="):
            text = unquote(text[4:].replace("+", " "))
        try:
            root = ET.fromstring(text)
            item = root[0]
        except (ET.ParseError, IndexError):
            where = "(/var/www/shop/classes/webservice/WebserviceRequest.php, line 1544)"
            raise WsError(500, [(3, f"[PHP Warning #2] SimpleXMLElement::__construct(): Entity: line 1: parser error "
                                    f": Premature end of data {where}"),
                                (3, f"[PHP Warning #2] SimpleXMLElement::__construct(): {text[:80]} {where}"),
                                (3, f"[PHP Warning #2] SimpleXMLElement::__construct(): ^ {where}"),
                                (127, f"XML error : String could not be parsed as XML\nXML length : {len(text)}\n"
                                      f"Original XML : {text}")]) from None
        return parse_record(item)

    def check_fields(self, resource: str, given: Record) -> None:
        sch = self.schemas[resource]
        for name in given:
            if name in sch.read_only:
                raise WsError(400, [(93, f'parameter "{name}" not writable. Please remove this attribute of this XML')])
        for name, value in given.items():
            if name == "link_rewrite" and isinstance(value, dict):
                for text in value.values():
                    if text and not re.fullmatch(r"[\w\-]+", text):
                        raise WsError(400, [(85, f"Property {singular(resource).title().replace('_', '')}"
                                                 f"->link_rewrite is not valid")])

    def check_required(self, resource: str, rec: Record) -> None:
        for name in sorted(self.schemas[resource].required, key=self.schemas[resource].names.index):
            value = rec.get(name)
            if value in (None, "") or (isinstance(value, dict) and not any(value.values())):
                raise WsError(400, [(41, f'parameter "{name}" required')])

    def write(self, method: str, resource: str, body: bytes, query: dict[str, str]) -> tuple[int, bytes, str]:
        given = self.parse_body(resource, body)
        sch = self.schemas[resource]
        has_id = given.get("id") not in (None, "")
        if method == "POST" and has_id:
            raise WsError(400, [(91, "id is forbidden when adding a new resource")])
        if method in ("PUT", "PATCH") and not has_id:
            raise WsError(400, [(90, "id is required when modifying a resource")])
        self.check_fields(resource, given)
        langs = self.languages()
        assoc_given = {k: v for k, v in given.pop("associations", {}).items() if k not in sch.read_only_assoc}
        for ad in sch.associations:  # rows get every field of the association (id_customization 0...)
            for row in assoc_given.get(ad.name, []):
                for fd in ad.fields:
                    row.setdefault(fd.name, "0" if fd.name.startswith("id_") else "")
        if method == "POST":
            rec = self.blank(resource)
            for name, value in given.items():
                if name in rec:
                    rec[name] = {**rec[name], **value} if isinstance(rec[name], dict) and isinstance(value, dict) \
                        else value
            self.check_required(resource, rec)
            if resource == "orders":
                return self.create_order(rec, assoc_given, langs)
            rec["id"] = str(self._next_id(resource))
            rec["associations"] = assoc_given
            self.on_create(resource, rec)
            self._put_record(resource, rec)
            if resource == "order_histories":
                order = self.data["orders"].get(int(rec["id_order"] or 0))
                if order:
                    order["current_state"] = rec["id_order_state"]
                    order["date_upd"] = self.now()
            echo = self.xml_record(resource, rec, sch.fields, [a.name for a in sch.associations], langs, {},
                                   echo=True)
            if resource == "carts":
                echo = re.sub(r"<secure_key><!\[CDATA\[[^\]]*\]\]></secure_key>",
                              "<secure_key><![CDATA[]]></secure_key>", echo)
            return 201, (XML_HEAD + echo + XML_TAIL).encode("utf-8"), XML_TYPE
        rid = int(given["id"])
        current = self.data.get(resource, {}).get(rid)
        if current is None:
            raise WsError(404, [(87, f"Id(s) not exists: {rid}")])
        if method == "PUT":  # a full replacement: what is not in the XML is blanked
            new = self.blank(resource)
            new["id"] = str(rid)
            for name, value in given.items():
                if name in new:
                    new[name] = {**new[name], **value} if isinstance(new[name], dict) and isinstance(value, dict) \
                        else value
            for name in sch.read_only:  # not writable, kept as computed by the shop
                if name in current:
                    new[name] = current[name]
            self.check_required(resource, new)
            new["associations"] = {**current.get("associations", {}), **assoc_given}
        else:
            new = copy.deepcopy(current)
            for name, value in given.items():
                if name in new or sch.field(name):
                    new[name] = {**new.get(name, {}), **value} if isinstance(value, dict) else value
            new.setdefault("associations", {}).update(assoc_given)
        for keep in ("date_add",):
            if keep in current:
                new[keep] = current[keep]
        if resource == "stock_availables":
            self.write_stock(current, new)
        if "date_upd" in new:
            new["date_upd"] = self.now()
        if resource == "orders" and new.get("current_state") != current.get("current_state"):
            self.add_history(rid, new["current_state"])
        self._put_record(resource, new)
        if resource == "stock_availables":
            self.recompute_parent(int(new["id_product"] or 0))
        return 200, (XML_HEAD + self.xml_record(resource, new, sch.fields, [a.name for a in sch.associations], langs,
                                                {}) + XML_TAIL).encode("utf-8"), XML_TYPE

    def on_create(self, resource: str, rec: Record) -> None:
        stamp = self.now()
        for name in ("date_add", "date_upd"):
            if name in rec:
                rec[name] = stamp
        if resource == "customers":
            rec["secure_key"] = hashlib.md5(f"{rec['email']}{time.time()}".encode()).hexdigest()
            rec["last_passwd_gen"] = stamp
            rec["passwd"] = "$2y$10$" + hashlib.sha256(str(rec.get("passwd", "")).encode()).hexdigest()[:53]
            rec["id_default_group"] = rec.get("id_default_group") or "3"
            rec["id_shop"], rec["id_shop_group"] = "1", "1"
        if resource == "carts":
            rec["id_shop"], rec["id_shop_group"] = "1", "1"
        if resource == "products":
            self._put_record("stock_availables", self._stock_row(
                self._next_id("stock_availables"), int(rec["id"]), 0, 0))
            rec["date_add"] = rec["date_upd"] = stamp
        if resource == "combinations":
            self._put_record("stock_availables", self._stock_row(
                self._next_id("stock_availables"), int(rec["id_product"]), int(rec["id"]), 0))

    def write_stock(self, current: Record, new: Record) -> None:
        if str(new.get("depends_on_stock")) == "1":
            raise WsError(500, [(133, "Cannot update stock quantity: it depends on the advanced stock management")])
        if not new.get("id_shop"):
            new["id_shop"] = "0"  # a full PUT without id_shop resets it (PrestaShop#18953)

    def delete(self, resource: str, id_: str | None) -> tuple[int, bytes, str | None]:
        ids = re.findall(r"\d+", id_ or "")
        rows = self.data.get(resource, {})
        missing = [i for i in ids if int(i) not in rows]
        if not ids or missing:
            raise WsError(404, [(87, f"Id(s) not exists: {', '.join(missing or ['?'])}")])
        for i in ids:
            del rows[int(i)]
        return 200, b"", None

"""Departments, VAT rates and payment methods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import peewee
from peewee import JOIN

from pos.core.i18n import _
from pos.data.common import CatalogError
from pos.data.models import (
    Department,
    PaymentMethod,
    VatRate,
    database,
)


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    name: str
    colour: str
    position: int
    vat_bp: int | None
    active: bool = True


@dataclass(frozen=True)
class MethodInfo:
    id: int
    code: str
    name: str
    gives_change: bool
    active: bool
    position: int
    opens_drawer: bool = False


@dataclass(frozen=True)
class VatInfo:
    id: int
    rate_bp: int
    label: str
    active: bool


def departments(include_inactive: bool = False) -> list[DepartmentInfo]:
    # plain tuples: selecting VatRate.rate_bp without VatRate.id made peewee attach a
    # VatRate with no id, so ``d.vat_id`` read None and every department lost its rate
    query = (Department.select(Department.id, Department.name, Department.colour, Department.position,
                               VatRate.rate_bp, Department.active)
             .join(VatRate, JOIN.LEFT_OUTER, on=(Department.vat == VatRate.id))
             .order_by(Department.position, Department.name))
    if not include_inactive:
        query = query.where(Department.active == True)  # noqa: E712
    return [DepartmentInfo(i, name, colour, pos, vat_bp, bool(active))
            for i, name, colour, pos, vat_bp, active in query.tuples()]


def vat_rates(include_inactive: bool = False) -> list[VatInfo]:
    query = VatRate.select().order_by(VatRate.position, VatRate.rate_bp.desc())
    if not include_inactive:
        query = query.where(VatRate.active == True)  # noqa: E712
    return [VatInfo(v.id, v.rate_bp, v.label, v.active) for v in query]


def payment_methods(include_inactive: bool = False) -> list[MethodInfo]:
    query = PaymentMethod.select().order_by(PaymentMethod.position, PaymentMethod.id)
    if not include_inactive:
        query = query.where(PaymentMethod.active == True)  # noqa: E712
    return [MethodInfo(m.id, m.code, m.name, m.gives_change, m.active, m.position, m.opens_drawer) for m in query]


def create_vat_rate(rate_bp: int, label: str = "") -> VatInfo:
    v = VatRate.create(rate_bp=rate_bp, label=label, position=VatRate.select().count() + 1)
    return VatInfo(v.id, v.rate_bp, v.label, v.active)


def update_vat_rate(vat_id: int, **values: Any) -> None:
    VatRate.update(**values).where(VatRate.id == vat_id).execute()


def vat_id_for(rate_bp: int) -> int | None:
    v = VatRate.get_or_none(VatRate.rate_bp == rate_bp)
    return v.id if v else None


def create_payment_method(code: str, name: str, gives_change: bool = False,
                          opens_drawer: bool = False) -> MethodInfo:
    m = PaymentMethod.create(code=code, name=name, gives_change=gives_change, opens_drawer=opens_drawer,
                             position=PaymentMethod.select().count() + 1)
    return MethodInfo(m.id, m.code, m.name, m.gives_change, m.active, m.position, m.opens_drawer)


def update_payment_method(method_id: int, **values: Any) -> None:
    PaymentMethod.update(**values).where(PaymentMethod.id == method_id).execute()


_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def save_department(name: str, *, department_id: int | None = None, colour: str = "#546E7A",
                    vat_bp: int | None = None, position: int | None = None, active: bool = True) -> int:
    """Create or update a department (unique name, ``#RRGGBB`` colour, an existing VAT rate or none)."""
    name = name.strip()
    if not name:
        raise CatalogError(_("A department needs a name"))
    if not _HEX_COLOUR.fullmatch(colour.strip()):
        raise CatalogError(_("A colour is written #RRGGBB, e.g. #546E7A"))
    vat_id = None
    if vat_bp is not None:
        vat_id = vat_id_for(vat_bp)
        if vat_id is None:
            raise CatalogError(_("Unknown VAT rate"))
    if position is not None and position < 0:
        raise CatalogError(_("The position must be zero or more"))
    with database.atomic():
        other = next((d for d in Department.select(Department.id, Department.name)
                      if d.name.casefold() == name.casefold()), None)  # few rows; SQLite's lower() is ASCII only
        if other is not None and other.id != department_id:
            raise CatalogError(_("The department {name} already exists").format(name=other.name))
        values = dict(name=name, colour=colour.strip().upper(), vat=vat_id, active=active)
        if position is not None:
            values["position"] = position
        try:
            if department_id is None:
                values.setdefault("position", Department.select().count() + 1)
                return Department.create(**values).id
            if not Department.update(**values).where(Department.id == department_id).execute():
                raise CatalogError(_("This department no longer exists"))
        except peewee.IntegrityError:
            raise CatalogError(_("The department {name} already exists").format(name=name)) from None
    return department_id

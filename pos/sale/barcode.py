"""GTIN check digits (EAN-13, EAN-8, UPC-A)."""

from __future__ import annotations


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits of a GTIN without its last digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for an EAN-13, EAN-8 or UPC-A with a correct check digit."""
    if not (code.isascii() and code.isdigit()) or len(code) not in (8, 12, 13):
        return False
    # the same sum as gtin_check_digit, by slices of the ASCII bytes (an import checks a million of them)
    b = code.encode("ascii")
    odd, even = b[-2::-2], b[-3::-2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - total % 10) % 10 == b[-1] - 48


def make_ean13(body12: str) -> str:
    if len(body12) != 12 or not body12.isdigit():
        raise ValueError("an EAN-13 body has 12 digits")
    return body12 + str(gtin_check_digit(body12))


def looks_like_gtin(code: str) -> bool:
    return code.isdigit() and len(code) in (8, 12, 13)

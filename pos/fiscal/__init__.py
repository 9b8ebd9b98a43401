"""Fiscal records: closures, reports, archives."""

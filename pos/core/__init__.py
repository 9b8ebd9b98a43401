"""Shared rules: permissions, refusals, jobs, money, settings, PINs, translations."""

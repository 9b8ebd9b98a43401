"""The catalogue and its spreadsheet transfer (CSV import/export)."""

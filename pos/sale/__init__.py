"""The sale: the till session, baskets, receipts, scanned codes."""

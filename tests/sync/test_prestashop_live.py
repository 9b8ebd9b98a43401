"""Opt-in tests against a real PrestaShop: set PRESTASHOP_TEST_URL and PRESTASHOP_TEST_KEY.

Read-only: the connection test and a preview of the articles (nothing is written to the shop,
and the till's database is a throw-away copy of the demo shop)."""

from __future__ import annotations

import os

import pytest

URL = os.environ.get("PRESTASHOP_TEST_URL")
KEY = os.environ.get("PRESTASHOP_TEST_KEY")

pytestmark = pytest.mark.skipif(not (URL and KEY), reason="PRESTASHOP_TEST_URL and PRESTASHOP_TEST_KEY not set")


@pytest.fixture
def client():
    from pos.sync.client import PrestaShopClient

    return PrestaShopClient(URL, KEY, timeout=(10, 60))


def test_live_connection(client):
    report = client.test_connection()
    assert report.version and report.languages, report
    assert report.default_country is not None


def test_live_articles_preview(shop, client):
    from pos.sync import articles

    preview = articles.pull_preview(client, full=True)
    assert preview.counts["new"] + preview.counts["changed"] + preview.counts["unchanged"] > 0

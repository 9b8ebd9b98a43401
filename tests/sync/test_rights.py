"""``pos sync test`` checks every right each enabled job uses (pos/sync/rights.py), and each job's
table is complete: the job runs with a key granted exactly those rights, and fails without one."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers.cli import cli_env, set_secret
from helpers.prestashop.emulator import PrestaShopEmulator

from pos.sync import articles, orders, rights
from pos.sync.client import PrestaShopClient
from pos.sync.errors import PrestaShopError

EXACT = "EXACTRIGHTSKEY0123456789ABCDEFGH"
NO_OPTIONS = "NOPRODUCTOPTIONS0123456789ABCDEF"


@pytest.fixture
def ps():
    with PrestaShopEmulator() as emulator:
        yield emulator


def key_with(ps: PrestaShopEmulator, key: str, jobs: list[str], drop: tuple[str, str] | None = None) -> str:
    granted = {res: set(m) for res, m in rights.required(jobs).items()}
    if drop:
        granted[drop[0]].discard(drop[1])
    ps.add_key(key, granted)
    return key


def test_a_key_without_product_options_fails_the_test_and_the_pull(shop, ps):
    key = key_with(ps, NO_OPTIONS, rights.enabled_jobs("stock"), drop=("product_options", "GET"))
    client = PrestaShopClient(ps.url, key, timeout=2, backoff=0, retries=0)
    report = client.test_connection()
    assert not report.ok
    assert report.missing_by_job == {"articles": {"product_options": {"GET"}}}
    with pytest.raises(PrestaShopError):  # what the test warns about is what the pull needs
        articles.pull_preview(client, full=True)


@pytest.mark.parametrize("mode", ["stock", "orders"])
def test_exact_rights_pass_the_test_and_run_the_jobs(shop, ps, mode):
    jobs = rights.enabled_jobs(mode, push=True)
    client = PrestaShopClient(ps.url, key_with(ps, EXACT, jobs), timeout=2, backoff=0, retries=0)
    report = client.test_connection(jobs=jobs)
    assert report.ok and report.missing_by_job == {}, report.missing
    assert set(report.jobs) == set(jobs)
    articles.pull_preview(client, full=True)  # every resource the pull reads is granted
    assert orders.import_orders(client)["status"] == "done"


def test_orders_mode_needs_posting_orders(shop, ps):
    jobs = rights.enabled_jobs("orders")
    key = key_with(ps, EXACT, jobs, drop=("carts", "POST"))
    report = PrestaShopClient(ps.url, key, timeout=2).test_connection(orders_mode=True)
    assert report.missing_by_job == {"push_orders": {"carts": {"POST"}}}


def test_cli_names_the_job_and_the_missing_right(shop, ps):
    key_with(ps, NO_OPTIONS, rights.enabled_jobs("stock"), drop=("product_options", "GET"))
    cmd = [sys.executable, "-m", "pos", "--db", shop.database]
    assert subprocess.run([*cmd, "config", "set", "prestashop.url", ps.url], env=cli_env(),
                          capture_output=True).returncode == 0
    assert set_secret(shop.database, "prestashop.key", NO_OPTIONS).returncode == 0
    proc = subprocess.run([*cmd, "sync", "test"], capture_output=True, text=True, env=cli_env(),
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 1
    assert "job.articles: missing product_options (GET)" in proc.stdout.splitlines()
    assert "job.stock: ok" in proc.stdout.splitlines()
    assert "product_options" in proc.stderr

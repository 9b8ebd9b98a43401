"""``pos sync test`` (registered by ``pos.cli.build_parser``)."""

from __future__ import annotations

import argparse

from pos.cli.common import CliError, add_who, open_db, progress, who
from pos.core.errors import InvalidValue
from pos.core.i18n import _
from pos.core.permissions import Actor


def client_from_settings():
    """A PrestaShop client on the configured shop, or a ``ValueError`` saying what is missing."""
    from pos.core import settings
    from pos.sync.client import PrestaShopClient

    url, key = settings.get("prestashop.url"), settings.secret("prestashop.key")
    if not url or not key:
        raise InvalidValue(_("PrestaShop is not configured: pos config set prestashop.url URL, "
                           "then pos config set prestashop.key KEY"))
    from pos.sync.limits import client_limits

    return PrestaShopClient(url, key, **client_limits())  # bounded answers and run


def cmd_sync(args: argparse.Namespace) -> int:
    from pos.sync.errors import PrestaShopError

    open_db(args)
    if args.action == "web":
        return cmd_web(args, who(args, "catalog"))
    actor = who(args, "sync")
    if args.action != "test":
        return run_job(args, actor)
    try:
        client = client_from_settings()
        from pos.core import settings
        from pos.sync.rights import from_settings
        from pos.sync.runs import connection_test

        report = connection_test(actor, client, orders_mode=settings.get("prestashop.mode") == "orders",
                                 jobs=from_settings())
    except (ValueError, PrestaShopError) as exc:
        raise CliError(str(exc)) from exc
    print(f"url: {report.url}")
    print(f"version: {report.version}")
    print(f"shop: {report.shop_name}")
    for resource in sorted(report.permissions):
        print(f"permission.{resource}: {' '.join(sorted(report.permissions[resource]))}")
    for resource in sorted(report.missing):
        print(f"missing.{resource}: {' '.join(sorted(report.missing[resource]))}")
    for lang in report.languages:
        print(f"language.{lang.get('id', '?')}: {lang.get('iso_code', '')} {lang.get('name', '')}".rstrip())
    print(f"default_language: {report.default_language or ''}")
    if report.currency:
        print(f"currency: {report.currency.get('iso_code', '')}")
    print(f"default_country: {report.default_country or ''}")
    print(f"patch: {'yes' if report.patch else 'no (full PUT)'}")
    for job in report.jobs:  # every right each enabled job uses
        lacking = report.missing_by_job.get(job, {})
        print(f"job.{job}: " + ("ok" if not lacking else "missing " + ", ".join(
            f"{r} ({' '.join(sorted(m))})" for r, m in sorted(lacking.items()))))
    for warning in report.warnings:
        print(f"warning: {warning}")
    if not report.ok:
        raise CliError(_("the webservice key lacks permissions the sync needs: {missing}").format(
            missing=", ".join(f"{r} ({' '.join(sorted(m))})" for r, m in sorted(report.missing.items()))))
    return 0


JOBS = {"articles": "pos.sync.articles", "stock": "pos.sync.stock", "orders": "pos.sync.orders",
        "push": "pos.sync.push", "all": "pos.sync.endofday"}


def cmd_web(args: argparse.Namespace, actor: Actor) -> int:
    """``pos sync web REF... [--off]``: publish articles on the web shop (or stop)."""
    from pos.data import catalog
    from pos.sync.push import set_web

    if not args.refs:
        raise CliError(_("pos sync web takes the references of the articles to publish"))
    for ref in args.refs:
        article = catalog.find_article_by_code(ref)
        if article is None:
            raise CliError(_("No article with the reference or barcode {code}").format(code=ref))
        set_web(actor, article.id, not args.off)
        print(f"web.{article.reference}: {0 if args.off else 1}")
    return 0


def run_job(args: argparse.Namespace, actor: Actor) -> int:
    """``pos sync articles|stock``: each job module has ``cli(client, args) -> dict`` printing its counts."""
    import importlib
    import inspect

    from pos.sync.errors import PrestaShopError

    try:
        try:
            module = importlib.import_module(JOBS[args.action])
        except ModuleNotFoundError:
            raise InvalidValue(_("pos sync {job} is not available in this version").format(job=args.action)) from None
        client = client_from_settings()
        from pos.sync.lock import sync_lock

        with sync_lock() as mine:  # never two synchronisations at once (the till's automatic one included)
            if not mine:
                raise CliError(_("A synchronisation is already running (the till's automatic sync?): "
                                 "try again in a moment"))
            if "progress" in inspect.signature(module.cli).parameters:  # a job that says where it is
                with progress(_("Synchronising")) as update:
                    module.cli(client, args, actor, progress=lambda *where: update(
                        where[-2], where[-1], " · ".join(str(w) for w in where[:-2] if w)))
            else:
                module.cli(client, args, actor)
    except (ValueError, PrestaShopError) as exc:
        raise CliError(str(exc)) from exc
    return 0


def register(sub, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("sync", parents=[common], help="PrestaShop: test the connection, pull articles, "
                                                       "publish articles, import web orders, push stock")
    s.add_argument("action", choices=["test", "web", *JOBS])
    s.add_argument("refs", nargs="*", metavar="REF", help="web: the articles to publish on the shop")
    s.add_argument("--off", action="store_true", help="web: stop publishing these articles")
    s.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    s.add_argument("--add", action="store_true", help="articles: add the new ones")
    s.add_argument("--update", action="store_true", help="articles: update the changed ones")
    s.add_argument("--delete", action="store_true", help="articles: deactivate those deleted in the shop")
    s.add_argument("--full", action="store_true", help="articles: every product, not only those changed")
    s.add_argument("--reset", metavar="ID|ALL", help="orders: forget imported order ids (comma-separated) or ALL")
    add_who(s)
    s.set_defaults(func=cmd_sync)

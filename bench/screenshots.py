"""Render the README screenshots from the real app, offscreen.

    python bench/screenshots.py assets/screenshots

Builds a temporary demo shop and saves every screen as a PNG file (French UI,
1024×768): the first start, login, sale, payment, history, the config pages, the cash
count, reports, training mode, the end-of-day sync; and the sale at 1920×1080 (the
interface scales with the window).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.update(KIVY_NO_ARGS="1", KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1", KIVY_CLIPBOARD="dummy",
                  KCFG_GRAPHICS_MAXFPS="0", KCFG_INPUT_MOUSE="", SDL_VIDEODRIVER="offscreen", POS_NO_SOUND="1",
                  KCFG_GRAPHICS_WIDTH="1024", KCFG_GRAPHICS_HEIGHT="768")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
os.environ.pop("DISPLAY", None)
os.environ.setdefault("POS_REPORTS_DIR", tempfile.mkdtemp(prefix="pos-shots-pdf-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(out: Path) -> None:
    from pos.core import settings
    from pos.data import catalog, users
    from pos.data import shop as shop_db
    from pos.data.db import open_database
    from pos.demo import demo_ean, load_demo_shop

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="pos-shots-"))
    open_database(tmp / "pos.sqlite3")
    settings.set_value("ui.language", "fr")

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from pos.screens.app import PosApp

    app = PosApp()
    root = app.build()  # an empty shop: the first-start screen
    app.root = root
    Window.add_widget(root)

    def shot(name: str) -> None:
        for _ in range(4):
            EventLoop.idle()
        path = out / f"{name}.png"
        root.export_to_png(str(path))
        print(path)

    shot("setup")
    load_demo_shop()
    settings.set_value("ui.language", "fr")

    login = app.show("login")
    login.choose(users.find_user("Marie"))
    for key in "12":
        login.key(key)
    shot("login")

    app.till.login(users.find_user("Marie").id, "1234")
    sale = app.show("sale")
    for n in (1, 1, 3, 22):
        sale.scan(demo_ean(n))
    sale.show_department(next(d.id for d in shop_db.departments() if d.name == "Fruits et légumes"))
    for key in "0,452":
        sale.key(key)
    sale.add_article(next(b.article for b in sale.article_buttons if b.article and b.article.name == "Courgettes"))
    sale.select_line(2)
    for key in "10":
        sale.key(key)
    sale.discount_key("percent")
    sale.select_line(2)
    shot("sale")

    pay = app.show("payment")
    for key in "5":
        pay.key(key)
    pay.pay("card")
    pay.pay("cash", 2000)
    shot("payment")

    # the manager's pages: an article being edited, then the preview of a CSV import
    app.till.login(users.find_user("Claire").id, "9999")
    config = app.show("config", section="articles")
    articles = config.page_widget
    articles.ids.query.text = "baguette"
    articles.search_now()
    articles.open_article(catalog.find_article_by_code(demo_ean(1)).id)
    shot("config_article")

    from pos.catalog.transfer import export
    from pos.core.permissions import Actor

    csv_path = tmp / "articles.csv"
    export(Actor(None, "bench", "manager"), "articles", csv_path)
    lines = csv_path.read_text("utf-8-sig").splitlines()
    edited = [lines[0]] + [line.replace(";1,20;5,5;", ";1,25;5,5;") for line in lines[1:]
                           if ";Droguerie;" not in line]
    edited.insert(1, "D099001;;Galette des rois 6 parts;Boulangerie;18,50;5,5;;0;1")
    csv_path.write_text("\r\n".join(edited) + "\r\n", encoding="utf-8-sig")
    config.open_section("transfer")
    page = config.page_widget
    page.set_option("format", "xlsx")  # the export part, with "all lists in one workbook"
    page.ids.export_path.text = "/home/caisse/Documents/articles.xlsx"
    shot("config_export")
    page.ids.import_path.text = str(csv_path)
    page.preview_file()
    while page.busy:
        EventLoop.idle()
    page.ids.scroll.scroll_y = 0  # the preview and the choices, below the export part
    shot("config_import")

    # the end of the day: a cash sale, a float and a cash out, then the count before the Z
    from pos.core.permissions import Actor
    from pos.fiscal import closures

    config.back()
    closures.cash_movement(Actor(None, "Claire", "manager"), "float", 15000, "")
    closures.cash_movement(Actor(None, "Claire", "manager"), "out", 2000, "Dépôt en banque")
    for n in (1, 1, 3, 22):
        sale.scan(demo_ean(n))
    app.till.add_payment("cash", 5000)
    app.till.validate()
    closing = app.show("closure")
    for value, count in ((5000, 2), (2000, 1), (1000, 1), (200, 3), (50, 1)):
        for _ in range(count):
            closing.step(value, 1)
    shot("closure_count")
    history = app.show("history")
    history.open_ticket(0)
    shot("history")
    reports = app.show("reports", section="sales")
    for _ in range(500):
        EventLoop.idle()
        time.sleep(0.01)
        if not reports.busy:
            break
    shot("reports")
    config = app.show("config", section="users")
    shot("config_users")
    for section in ("hardware", "stock", "vouchers", "backups"):  # the newer pages, in the same theme
        config.open_section(section)
        for _ in range(50):
            EventLoop.idle()
            time.sleep(0.01)
        shot(f"config_{section}")
    config.back()
    app.till.set_training(True)
    sale = app.show("sale")
    sale.scan(demo_ean(3))
    shot("sale_training")
    app.till.cancel()
    app.till.set_training(False)

    # the end-of-day synchronisation with the web store (the PrestaShop emulator of the tests)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

    from helpers.prestashop.emulator import DEFAULT_KEY, PrestaShopEmulator

    from pos.screens.sync import start_end_of_day

    with PrestaShopEmulator() as web:
        settings.set_value("prestashop.url", web.url)
        settings.set_value("prestashop.key", DEFAULT_KEY)
        config = app.show("config", section="sync")
        config.page_widget.open_tab("endofday")
        start_end_of_day(app, app.till.actor)
        runner = config.page_widget.runner
        for _ in range(1500):
            EventLoop.idle()
            time.sleep(0.01)
            if not runner.busy:
                break
        config.page_widget.open_tab("endofday")
        for _ in range(400):  # until the "done" toast has gone
            EventLoop.idle()
            time.sleep(0.01)
        shot("sync_endofday")

    # the same sale screen on a 1920×1080 screen: everything 1.4 times larger
    sale = app.show("sale")
    for n in (1, 1, 3, 22):
        sale.scan(demo_ean(n))
    Window.size = (1920, 1080)
    for _ in range(100):
        EventLoop.idle()
        time.sleep(0.01)
    shot("sale_1920x1080")
    app.till.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/screenshots"))

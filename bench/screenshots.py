"""Render the README screenshots from the real app, offscreen.

    python bench/screenshots.py assets/screenshots

Builds a temporary demo shop, logs in, rings up a small sale and saves the
login, sale and payment screens as PNG files (French UI, 1024×768).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.update(KIVY_NO_ARGS="1", KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1", KIVY_CLIPBOARD="dummy",
                  KCFG_GRAPHICS_MAXFPS="0", KCFG_INPUT_MOUSE="", SDL_VIDEODRIVER="offscreen", POS_NO_SOUND="1",
                  KCFG_GRAPHICS_WIDTH="1024", KCFG_GRAPHICS_HEIGHT="768")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
os.environ.pop("DISPLAY", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(out: Path) -> None:
    from pos import settings
    from pos.data import store
    from pos.data.db import open_database
    from pos.demo import demo_ean, load_demo_shop

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="pos-shots-"))
    open_database(tmp / "pos.sqlite3")
    load_demo_shop()
    settings.set_value("ui.language", "fr")

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from pos.screens.app import PosApp

    app = PosApp()
    root = app.build()
    app.root = root
    Window.add_widget(root)

    def shot(name: str) -> None:
        for _ in range(4):
            EventLoop.idle()
        path = out / f"{name}.png"
        root.export_to_png(str(path))
        print(path)

    login = app.show("login")
    login.choose(store.find_user("Marie"))
    for key in "12":
        login.key(key)
    shot("login")

    app.till.login(store.find_user("Marie").id, "1234")
    sale = app.show("sale")
    for n in (1, 1, 3, 22):
        sale.scan(demo_ean(n))
    sale.show_department(next(d.id for d in store.departments() if d.name == "Fruits et légumes"))
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
    app.till.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/screenshots"))

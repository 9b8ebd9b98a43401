"""The manager's Articles, Departments and Customers pages, driven for real offscreen."""

from __future__ import annotations

import pytest
from helpers.ui_helpers import frames, tap, wait_for
from test_ui import login, make_app, window  # noqa: F401  (fixtures)


def open_page(app, section: str):
    """Log Claire (manager) in, open the configuration, touch the section's button."""
    login(app, "Claire", "9999")
    config = app.show("config", section="shop")
    frames(2)
    button = config.section_buttons[section]
    config.ids.sections_scroll.scroll_to(button, padding=0, animate=False)
    frames(2)
    tap(button)
    assert config.section == section
    return config, config.page_widget


def search(page, text: str, predicate) -> None:
    if page.ids.query.text == text:
        page.search_now()  # Enter
    else:
        page.ids.query.text = text  # debounced: the list follows when the typing pauses
        assert page._search.is_triggered
    assert wait_for(lambda: not page._search.is_triggered and predicate(page.items)), [
        getattr(i, "name", i) for i in page.items]


def press(page, widget) -> None:
    """Touch a widget of the edit form, scrolled into view first (as the manager would)."""
    frames(2)
    scroll = page.form_scroll
    _x, bottom = scroll.to_window(scroll.x, scroll.y)
    _x, y = widget.to_window(*widget.center)
    if not bottom < y < bottom + scroll.height:  # (scroll_to overshoots when nothing needs scrolling)
        scroll.scroll_to(widget, padding=10, animate=False)
        frames(2)
    tap(widget)


def row_view(page, **match):
    """The RecycleView row widget showing the item with these attributes (after a frame)."""
    frames(2)
    for view in page.ids.list.children[0].children:
        if all(getattr(view, k) == v for k, v in match.items()):
            return view
    raise LookupError(match)


def test_section_list_fits_and_scrolls_in_768_px(make_app):  # noqa: F811
    app = make_app()
    login(app, "Claire", "9999")
    config = app.show("config", section="shop")
    frames(3)
    scroll = config.ids.sections_scroll
    for key, button in config.section_buttons.items():
        # every section button lies inside the visible part of the column (or can be scrolled to)
        scroll.scroll_to(button, padding=0, animate=False)
        frames(1)
        x, y = button.to_window(*button.center)
        sx, sy = scroll.to_window(scroll.x, scroll.y)
        assert sy <= y <= sy + scroll.height, key
    assert config.transfer_entity == "articles"


def test_articles_search_edit_price_and_barcodes(make_app, window, monkeypatch):  # noqa: F811
    from pos.data import catalog, events
    from pos.demo import demo_ean
    from pos.sale.barcode import make_ean13

    app = make_app()
    config, page = open_page(app, "articles")
    assert type(page).__name__ == "ArticlesPage"
    assert len(page.ids.list.data) == 50 and page.next_offset == 50  # the first page, by name
    names = [a.name for a in page.items]
    assert names == sorted(names)

    search(page, "croiss", lambda items: [a.name for a in items] == ["Croissant"])
    croissant = page.items[0]
    before = catalog.article_detail(croissant.id)
    tap(row_view(page, name="Croissant"))
    assert page.form_open and page.fields["name"].text == "Croissant"

    page.fields["price"].text = "1.35"
    # a barcode with a wrong check digit, then one used by another article: refused, clearly
    good = make_ean13("376999000001")
    page.barcode_input.text = good[:-1] + str((int(good[-1]) + 1) % 10)
    press(page, page.add_barcode_button)
    assert "Bad check digit" in page.error.text and "Bad check digit" in app.toast_text
    page.barcode_input.text = demo_ean(1)
    press(page, page.add_barcode_button)
    assert "already used by" in page.error.text and "Baguette tradition" in page.error.text
    page.barcode_input.text = good
    press(page, page.add_barcode_button)
    assert page.barcodes == [*before.barcodes, good] and page.error.text == ""
    # remove the old barcode
    old = before.barcodes[0]
    remove = next(b for b in page.barcode_box.walk() if getattr(b, "text", "") == "Remove")
    press(page, remove)
    assert page.barcodes == [good]
    monkeypatch.setattr(catalog, "now_iso", lambda: "2030-01-02T03:04:05+01:00")
    press(page, page.save_button)
    assert not page.form_open and app.toast_text == "Saved"

    after = catalog.article_detail(croissant.id)
    assert after.price == 135 and after.barcodes == [good] and after.name == "Croissant"
    assert after.updated_at == "2030-01-02T03:04:05+01:00"
    assert catalog.find_article_by_code(good).id == croissant.id
    assert catalog.find_article_by_code(old) is None
    event = events.events("article_changed")[-1]
    assert event["user_name"] == "Claire" and event["data"]["price"] == 135
    assert set(event["data"]["fields"]) == {"price", "barcodes"}

    # an exact barcode finds the article (the full-text index only knows names and references)
    search(page, good, lambda items: [a.name for a in items] == ["Croissant"])
    assert page.exact_id == croissant.id


def test_new_article_with_a_custom_field_and_a_refused_duplicate_reference(make_app, window):  # noqa: F811
    from pos.data import catalog, events

    app = make_app()
    config, page = open_page(app, "articles")
    # a custom field for every article
    tap(page.fields_button)
    page.new_field_key.text = "Bad key!"
    page.new_field_label.text = "Origin"
    press(page, page.add_field_button)
    assert "key" in page.error.text and catalog.custom_fields() == []
    page.new_field_key.text = "origin"
    press(page, page.add_field_button)
    assert [(f["key"], f["label"], f["kind"]) for f in catalog.custom_fields()] == [("origin", "Origin", "text")]
    page.close_form(reload=False)

    count = catalog.count_articles()
    tap(page.new_button)
    assert page.form_open and page.fields["reference"].text == ""
    page.fields["reference"].text = "D010001"  # the Baguette's
    page.fields["name"].text = "Tarte aux pommes"
    page.fields["price"].text = "12,50"
    page.department.text = "Boulangerie"
    page.vat.text = "5.5%"
    page.custom_inputs["origin"][1].text = "Normandie"
    press(page, page.save_button)
    assert "D010001 is already used" in page.error.text and "already used" in app.toast_text
    assert page.form_open and catalog.count_articles() == count  # nothing saved
    assert catalog.find_article_by_code("D010001").name != "Tarte aux pommes"
    # a bad price is refused too
    page.fields["reference"].text = "TARTE01"
    page.fields["price"].text = "12,5x"
    press(page, page.save_button)
    assert "Price" in page.error.text and catalog.count_articles() == count
    page.fields["price"].text = "12,50"
    press(page, page.save_button)
    assert not page.form_open, page.error.text
    tarte = catalog.find_article_by_code("TARTE01")
    assert (tarte.name, tarte.price, tarte.vat_bp, tarte.department) == ("Tarte aux pommes", 1250, 550, "Boulangerie")
    assert catalog.article_detail(tarte.id).custom == {"origin": "Normandie"}
    assert catalog.count_articles() == count + 1
    assert events.events("article_created")[-1]["data"]["reference"] == "TARTE01"


@pytest.mark.slow
def test_deactivate_a_sold_article_and_delete_one_never_sold(make_app, window):  # noqa: F811
    from pos.data import catalog, events

    app = make_app()
    config, page = open_page(app, "articles")
    # sell a Croissant, so it can only be deactivated
    app.till.scan("D010003")
    app.till.add_payment("card")
    ticket = app.till.validate()
    croissant_id = ticket.lines[0]["article"]
    name = catalog.get_article(croissant_id).name
    search(page, name, lambda items: any(a.id == croissant_id for a in items))
    tap(row_view(page, name=name))
    assert page.delete_button is None  # sold: no delete
    press(page, page.active_button)
    assert catalog.get_article(croissant_id).active is False
    assert catalog.find_article_by_code("D010003").active is False
    search(page, name, lambda items: not any(a.id == croissant_id for a in items))
    tap(page.ids.inactive)  # show inactive
    assert any(a.id == croissant_id for a in page.items)
    assert row_view(page, name=name).status == "inactive"
    # an article never sold can be deleted
    new_id = catalog.save_article(catalog.ArticleDetail(reference="TMP1", name="Zz temporary", price=100, vat_bp=2000))
    search(page, "temporary", lambda items: [a.id for a in items] == [new_id])
    tap(row_view(page, name="Zz temporary"))
    press(page, page.delete_button)
    assert catalog.get_article(new_id) is None
    assert events.events("article_deleted")[-1]["data"]["reference"] == "TMP1"


def test_a_scan_on_the_articles_page_opens_the_article_or_a_new_one(make_app, window):  # noqa: F811
    from pos.data import catalog
    from pos.demo import demo_ean
    from pos.sale.barcode import make_ean13

    app = make_app()
    config, page = open_page(app, "articles")
    config.scan(demo_ean(1))
    assert page.form_open and page.fields["name"].text == "Baguette tradition"
    page.close_form(reload=False)
    unknown = make_ean13("376999000777")
    config.scan(unknown)
    assert page.form_open and page.detail.id is None and page.barcodes == [unknown]
    page.fields["reference"].text = "SCAN1"
    page.fields["name"].text = "Scanned thing"
    page.fields["price"].text = "3"
    press(page, page.save_button)
    assert catalog.find_article_by_code(unknown).reference == "SCAN1"


def test_export_import_button_opens_the_transfer_page_for_this_list(make_app):  # noqa: F811
    import gc

    app = make_app()
    config, page = open_page(app, "customers")
    tap(page.transfer_button)
    assert config.section == "transfer" and config.transfer_entity == "customers"
    assert config.page_widget.entity == "customers"
    # back to a form section once the garbage collector ran: the scrolled form must still be there
    gc.collect()
    tap(config.section_buttons["vat"])
    assert config.section == "vat" and config.page_widget is None and len(config.form.children) > 3
    tap(config.section_buttons["articles"])
    assert config.section == "articles" and config.page_widget is not None


def test_departments_create_rename_and_refuse_a_duplicate(make_app, window):  # noqa: F811
    from pos.data import events
    from pos.data import shop as shop_db

    app = make_app()
    config, page = open_page(app, "departments")
    count = len(shop_db.departments(include_inactive=True))
    assert len(page.items) == len(shop_db.departments())
    tap(page.new_button)
    page.name_field.text = "Fromagerie"
    page.colour_field.text = "#12345"
    press(page, page.save_button)
    assert "#RRGGBB" in page.error.text and len(shop_db.departments(include_inactive=True)) == count
    page.colour_field.text = "#1565c0"
    page.vat.text = "5.5%"
    page.position_field.text = "2"
    press(page, page.save_button)
    assert not page.form_open, page.error.text
    dep = next(d for d in shop_db.departments() if d.name == "Fromagerie")
    assert (dep.colour, dep.vat_bp, dep.position, dep.active) == ("#1565C0", 550, 2, True)
    # rename it
    view = row_view(page, name="Fromagerie")
    tap(view)
    assert page.form_open and page.department.id == dep.id
    page.name_field.text = "Fromages affinés"
    page.vat.text = "(none)"
    press(page, page.save_button)
    renamed = next(d for d in shop_db.departments() if d.id == dep.id)
    assert (renamed.name, renamed.vat_bp) == ("Fromages affinés", None)
    assert events.events("department_changed")[-1]["data"]["old_name"] == "Fromagerie"
    # a name already taken (whatever the case) is refused
    tap(row_view(page, name="Fromages affinés"))
    page.name_field.text = "CRÈMERIE"  # the demo's Crèmerie
    press(page, page.save_button)
    assert "already exists" in page.error.text
    assert next(d for d in shop_db.departments() if d.id == dep.id).name == "Fromages affinés"
    # deactivate
    press(page, page.active_toggle)
    page.name_field.text = "Fromages affinés"
    press(page, page.save_button)
    assert all(d.id != dep.id for d in shop_db.departments())
    assert all(d["name"] != "Fromages affinés" for d in page.ids.list.data)


@pytest.mark.slow
def test_customers_create_edit_search_and_deactivate(make_app, window):  # noqa: F811
    from pos.data import customers as customers_db
    from pos.data import events

    app = make_app()
    config, page = open_page(app, "customers")
    assert page.items == []
    tap(page.new_button)
    page.fields["name"].text = "Jeanne Dupont"
    page.fields["email"].text = "jeanne@"
    press(page, page.save_button)
    assert "e-mail" in page.error.text and customers_db.customer_page("").rows == []
    page.fields["email"].text = "jeanne@example.org"
    page.fields["phone"].text = "06 12 34 56 78"
    page.fields["address"].text = "3 rue des Lilas"
    page.fields["postcode"].text = "69001"
    page.fields["city"].text = "Lyon"
    page.fields["vat_number"].text = "FR19812345676"
    page.fields["notes"].text = "Prefers paper receipts"
    press(page, page.save_button)
    assert not page.form_open, page.error.text
    customers_db.save_customer({"name": "Albert Martin", "phone": "0478000000"})
    # search by name, e-mail, phone
    search(page, "dupont", lambda items: [c["name"] for c in items] == ["Jeanne Dupont"])
    search(page, "example.org", lambda items: [c["name"] for c in items] == ["Jeanne Dupont"])
    search(page, "0478", lambda items: [c["name"] for c in items] == ["Albert Martin"])
    search(page, "", lambda items: [c["name"] for c in items] == ["Albert Martin", "Jeanne Dupont"])
    tap(row_view(page, name="Jeanne Dupont"))
    assert page.fields["notes"].text == "Prefers paper receipts"
    page.fields["city"].text = "Villeurbanne"
    press(page, page.save_button)
    jeanne = customers_db.customer_page("Jeanne").rows[0]
    assert (jeanne["city"], jeanne["email"], jeanne["postcode"], jeanne["vat_number"]) == (
        "Villeurbanne", "jeanne@example.org", "69001", "FR19812345676")
    assert events.events("customer_changed")[-1]["data"]["fields"] == ["city"]
    # deactivate: gone from the list, back with "show inactive"
    search(page, "Jeanne", lambda items: len(items) == 1)
    tap(row_view(page, name="Jeanne Dupont"))
    press(page, page.active_button)
    assert customers_db.get_customer(jeanne["id"])["active"] is False
    assert [c["name"] for c in page.items if c["name"] == "Jeanne Dupont"] == []
    tap(page.ids.inactive)
    assert [c["name"] for c in page.items] == ["Jeanne Dupont"]


@pytest.fixture
def big_catalogue(shop):
    from pos.demo import add_synthetic_articles

    add_synthetic_articles(20_000)
    return shop


@pytest.mark.slow
def test_paged_search_fetches_one_page_of_20000_articles(big_catalogue):
    from pos.data import catalog
    from pos.demo import synthetic_barcode

    assert catalog.count_articles() > 20_000
    first = catalog.article_page("", 0, 50)
    assert len(first.rows) == 50 and first.next_offset == 50
    second = catalog.article_page("", first.next_offset, 50)
    keys = [(a.name, a.id) for a in first.rows + second.rows]
    assert keys == sorted(keys) and len(set(keys)) == 100  # in name order, no overlap
    # words: full-text prefixes, in name order, paged
    found = catalog.article_page("pain bio", 0, 50)
    assert len(found.rows) == 50 and found.next_offset == 50
    assert all("Pain" in a.name and "bio" in a.name for a in found.rows)
    # an exact barcode or reference comes first
    hit = catalog.article_page(synthetic_barcode(12345), 0, 50)
    assert [a.reference for a in hit.rows] == ["A0012345"] and hit.exact_id == hit.rows[0].id
    ref = catalog.article_page("A0012345", 0, 50)
    assert ref.rows[0].reference == "A0012345" and ref.exact_id == ref.rows[0].id
    # inactive articles only with the option
    catalog.set_article_active(hit.exact_id, False)
    assert catalog.article_page("A0012345", 0, 50).rows == []
    assert catalog.article_page("A0012345", 0, 50, include_inactive=True).rows[0].active is False


@pytest.mark.slow
def test_the_articles_list_holds_one_page_then_loads_the_next_on_scroll(big_catalogue, make_app,  # noqa: F811
                                                                         monkeypatch):
    from pos.data import catalog
    from pos.screens.catalog import PAGE

    calls = []
    real = catalog.article_page

    def spy(*args, **kw):
        page = real(*args, **kw)
        calls.append(len(page.rows))
        return page

    monkeypatch.setattr(catalog, "article_page", spy)
    app = make_app()
    config, page = open_page(app, "articles")
    assert len(page.ids.list.data) == PAGE and calls == [PAGE]  # one page, not 20,000 rows
    page.ids.list.scroll_y = 0  # scrolled to the end: the next page follows
    assert wait_for(lambda: len(page.ids.list.data) == 2 * PAGE)
    assert calls == [PAGE, PAGE] and page.ids.list.scroll_y > 0.3  # the view did not jump to the end
    names = [a.name for a in page.items]
    assert names == sorted(names) and len({a.id for a in page.items}) == 2 * PAGE
    search(page, "fromage fumé", lambda items: len(items) == PAGE)
    assert all("Fromage" in a.name and "fumé" in a.name for a in page.items)
    assert calls[-1] == PAGE and len(page.ids.list.data) == PAGE

def test_store_refusals_change_nothing(till):
    from pos.data import catalog
    from pos.data import customers as customers_db
    from pos.data import shop as shop_db
    from pos.demo import demo_ean

    baguette = catalog.find_article_by_code("D010001")
    detail = catalog.article_detail(baguette.id)
    detail.price, detail.barcodes = 999, [*detail.barcodes, demo_ean(2)]  # the Baguette's neighbour's barcode
    with pytest.raises(catalog.CatalogError, match="already used by D010002"):
        catalog.save_article(detail)
    assert catalog.article_detail(baguette.id).price == baguette.price  # all or nothing
    detail.barcodes = ["12345670", "12345670"]
    with pytest.raises(catalog.CatalogError, match="listed twice"):
        catalog.save_article(detail)
    detail.barcodes = ["036000291453"]  # UPC-A, wrong check digit (…452 is right)
    with pytest.raises(catalog.CatalogError, match="should be 2"):
        catalog.save_article(detail)
    detail.barcodes, detail.vat_bp = ["036000291452"], 1234
    with pytest.raises(catalog.CatalogError, match="VAT"):
        catalog.save_article(detail)
    assert catalog.article_detail(baguette.id).barcodes == [demo_ean(1)]
    # custom fields: defined first, numbers checked
    catalog.define_custom_field("weight_g", "Weight (g)", "number")
    with pytest.raises(catalog.CatalogError, match="already exists"):
        catalog.define_custom_field("weight_g", "Again", "text")
    detail.vat_bp, detail.custom = 550, {"weight_g": "25x"}
    with pytest.raises(catalog.CatalogError, match="not a number"):
        catalog.save_article(detail)
    detail.custom = {"weight_g": "250"}
    catalog.save_article(detail)
    assert catalog.article_detail(baguette.id).custom == {"weight_g": 250}
    # an article on a ticket is never deleted (deactivated instead)
    assert catalog.article_was_sold(baguette.id) is False
    till.scan("D010001")
    till.add_payment("card")
    till.validate()
    assert catalog.article_was_sold(baguette.id) is True
    with pytest.raises(catalog.CatalogError, match="deactivate it instead"):
        catalog.delete_article(baguette.id)
    assert catalog.get_article(baguette.id) is not None
    # departments and customers
    with pytest.raises(catalog.CatalogError, match="already exists"):
        shop_db.save_department("ÉPICERIE")
    with pytest.raises(catalog.CatalogError, match="name"):
        customers_db.save_customer({"name": "  "})
    with pytest.raises(catalog.CatalogError, match="phone"):
        customers_db.save_customer({"name": "Bob", "phone": "call me"})
    assert customers_db.customer_page("").rows == []


def test_the_articles_page_opens_the_prestashop_article_sync(make_app):  # noqa: F811
    app = make_app()
    config, page = open_page(app, "articles")
    tap(page.sync_button)
    assert config.section == "sync" and config.page_widget.tab == "articles"

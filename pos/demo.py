"""The demo shop (``pos run --demo``) and synthetic catalogues for benchmarks."""

from __future__ import annotations

from collections.abc import Callable

from pos.core import auth, settings
from pos.core.errors import InvalidValue
from pos.core.i18n import _
from pos.data import catalog, common, config, events, users
from pos.data import shop as shop_db
from pos.data.catalog import ArticleDetail
from pos.sale.barcode import make_ean13

DEMO_USERS = [("Claire", "9999", "manager"), ("Marie", "1234", "cashier")]

# department: (colour, default VAT bp, [(name, price cents, vat bp, flags)])
# flags: w = sold by weight (price per kg), f = free price, * = favourite
DEMO_CATALOGUE: dict[str, tuple[str, int, list[tuple[str, int, int, str]]]] = {
    "Boulangerie": ("#C98B3C", 550, [
        ("Baguette tradition", 120, 550, "*"), ("Baguette", 110, 550, "*"), ("Croissant", 120, 550, "*"),
        ("Pain au chocolat", 130, 550, "*"), ("Pain de campagne", 350, 550, ""), ("Pain complet", 320, 550, ""),
        ("Pain aux céréales", 380, 550, ""), ("Chouquettes x10", 350, 550, ""), ("Brioche tressée", 450, 550, ""),
        ("Pain de mie", 260, 550, ""), ("Ficelle", 90, 550, ""), ("Fougasse aux olives", 390, 550, ""),
        ("Éclair au café", 280, 550, ""), ("Tarte aux pommes", 1450, 550, ""), ("Flan pâtissier", 290, 550, ""),
        ("Chausson aux pommes", 160, 550, ""), ("Pain aux raisins", 150, 550, ""), ("Madeleines x6", 380, 550, ""),
        ("Galette des rois", 1890, 550, ""), ("Gâteau du jour", 0, 550, "f"),
    ]),
    "Épicerie": ("#8E6E53", 550, [
        ("Café moulu 250 g", 459, 550, "*"), ("Thé vert 100 g", 520, 550, ""), ("Sucre en morceaux 1 kg", 189, 550, ""),
        ("Farine T55 1 kg", 129, 550, ""), ("Pâtes penne 500 g", 149, 550, ""), ("Riz basmati 1 kg", 349, 550, ""),
        ("Huile d'olive 75 cl", 899, 550, ""), ("Vinaigre de vin 50 cl", 219, 550, ""), ("Sel de Guérande 1 kg", 399, 550, ""),
        ("Moutarde de Dijon", 249, 550, ""), ("Confiture d'abricot", 379, 550, ""), ("Miel de lavande", 890, 550, ""),
        ("Chocolat noir 70 %", 289, 550, "*"), ("Biscuits sablés", 239, 550, ""), ("Lentilles vertes 500 g", 259, 550, ""),
        ("Pois chiches 400 g", 159, 550, ""), ("Thon au naturel", 329, 550, ""), ("Sardines à l'huile", 289, 550, ""),
        ("Sauce tomate", 199, 550, ""), ("Cornichons", 279, 550, ""), ("Céréales muesli", 429, 550, ""),
        ("Compote de pommes x4", 249, 550, ""), ("Lait UHT demi-écrémé 1 L", 109, 550, ""),
        ("Œufs bio x6", 349, 550, "*"), ("Bonbons", 199, 550, ""), ("Pâte à tartiner", 399, 550, ""),
        ("Soupe de légumes 1 L", 319, 550, ""), ("Épices mélange", 259, 550, ""), ("Poivre noir moulu", 289, 550, ""),
        ("Herbes de Provence", 229, 550, ""),
    ]),
    "Crèmerie": ("#4E8FBF", 550, [
        ("Comté 18 mois 250 g", 590, 550, "*"), ("Camembert de Normandie", 349, 550, ""), ("Brie de Meaux", 2490, 550, "w"),
        ("Roquefort 150 g", 499, 550, ""), ("Beurre doux 250 g", 289, 550, ""), ("Beurre demi-sel 250 g", 299, 550, ""),
        ("Crème fraîche épaisse", 219, 550, ""), ("Yaourts nature x4", 189, 550, ""), ("Fromage blanc 500 g", 249, 550, ""),
        ("Lait frais entier 1 L", 139, 550, ""), ("Chèvre frais", 259, 550, ""), ("Reblochon", 629, 550, ""),
        ("Emmental râpé", 239, 550, ""), ("Mozzarella", 169, 550, ""), ("Crème dessert vanille x4", 219, 550, ""),
        ("Tomme de Savoie", 1890, 550, "w"), ("Saint-Nectaire", 2290, 550, "w"), ("Riz au lait", 229, 550, ""),
        ("Œufs plein air x12", 459, 550, ""), ("Kéfir", 279, 550, ""),
    ]),
    "Fruits et légumes": ("#5E9E3F", 550, [
        ("Tomates", 349, 550, "w*"), ("Pommes Golden", 279, 550, "w"), ("Bananes", 229, 550, "w*"),
        ("Carottes", 189, 550, "w"), ("Pommes de terre", 159, 550, "w"), ("Oignons", 219, 550, "w"),
        ("Courgettes", 299, 550, "w"), ("Poireaux", 279, 550, "w"), ("Clémentines", 349, 550, "w"),
        ("Poires Conférence", 329, 550, "w"), ("Citrons", 399, 550, "w"), ("Avocat", 119, 550, ""),
        ("Salade batavia", 129, 550, ""), ("Concombre", 99, 550, ""), ("Ail", 89, 550, ""),
        ("Champignons de Paris", 599, 550, "w"), ("Raisin muscat", 449, 550, "w"), ("Kiwi", 45, 550, ""),
        ("Ananas", 299, 550, ""), ("Melon charentais", 349, 550, ""), ("Fraises 250 g", 399, 550, ""),
        ("Persil bouquet", 119, 550, ""), ("Échalotes", 549, 550, "w"), ("Betteraves cuites", 189, 550, ""),
        ("Radis botte", 149, 550, ""),
    ]),
    "Boissons": ("#2E7D7A", 2000, [
        ("Eau minérale 1,5 L", 69, 550, "*"), ("Eau gazeuse 1 L", 89, 550, ""), ("Jus d'orange 1 L", 259, 550, ""),
        ("Jus de pomme 1 L", 229, 550, ""), ("Limonade 1 L", 199, 550, ""), ("Cola 1,5 L", 219, 550, ""),
        ("Sirop de menthe", 329, 550, ""), ("Bière blonde 33 cl", 169, 2000, ""), ("Bière ambrée 75 cl", 459, 2000, ""),
        ("Cidre brut 75 cl", 399, 2000, ""), ("Vin rouge Côtes-du-Rhône", 790, 2000, ""),
        ("Vin blanc Muscadet", 690, 2000, ""), ("Vin rosé de Provence", 890, 2000, ""),
        ("Champagne brut", 2490, 2000, ""), ("Crémant d'Alsace", 1190, 2000, ""), ("Pastis 70 cl", 2190, 2000, ""),
        ("Café en grains 1 kg", 1890, 550, ""), ("Thé glacé pêche", 189, 550, ""), ("Lait d'avoine 1 L", 219, 550, ""),
        ("Kombucha", 349, 550, ""),
    ]),
    "Boucherie-charcuterie": ("#B23A48", 550, [
        ("Jambon blanc 4 tranches", 399, 550, ""), ("Saucisson sec", 549, 550, ""), ("Pâté de campagne", 1690, 550, "w"),
        ("Rillettes du Mans", 349, 550, ""), ("Poulet fermier", 990, 550, "w"), ("Steak haché x2", 459, 550, ""),
        ("Saucisses de Toulouse", 1290, 550, "w"), ("Lardons fumés", 229, 550, ""), ("Rôti de porc", 1390, 550, "w"),
        ("Côtes d'agneau", 2490, 550, "w"), ("Jambon cru", 2990, 550, "w"), ("Terrine de canard", 459, 550, ""),
        ("Merguez", 1190, 550, "w"), ("Boudin noir", 1090, 550, "w"), ("Cordon bleu x2", 389, 550, ""),
    ]),
    "Droguerie": ("#7B5EA7", 2000, [
        ("Liquide vaisselle", 229, 2000, ""), ("Lessive liquide 2 L", 899, 2000, ""), ("Éponges x3", 199, 2000, ""),
        ("Papier toilette x6", 389, 2000, ""), ("Essuie-tout x2", 249, 2000, ""), ("Savon de Marseille", 299, 2000, ""),
        ("Shampooing", 459, 2000, ""), ("Dentifrice", 289, 2000, ""), ("Brosse à dents", 249, 2000, ""),
        ("Sacs poubelle 30 L", 329, 2000, ""), ("Vinaigre ménager 1 L", 189, 2000, ""), ("Allumettes", 119, 2000, ""),
        ("Piles AA x4", 599, 2000, ""), ("Bougie parfumée", 790, 2000, ""), ("Sac cabas", 150, 2000, "*"),
    ]),
    "Presse et papeterie": ("#546E7A", 2000, [
        ("Quotidien régional", 150, 210, "*"), ("Hebdomadaire", 390, 210, ""), ("Magazine cuisine", 590, 210, ""),
        ("Carnet de timbres", 1548, 0, ""), ("Carte postale", 120, 2000, ""), ("Stylo bille", 150, 2000, ""),
        ("Cahier grands carreaux", 249, 2000, ""), ("Enveloppes x10", 199, 2000, ""), ("Livre de poche", 790, 550, ""),
        ("Papier cadeau", 299, 2000, ""), ("Ruban adhésif", 189, 2000, ""), ("Crayons de couleur", 459, 2000, ""),
        ("Agenda", 1290, 2000, ""), ("Calendrier", 890, 2000, ""), ("Carte de vœux", 350, 2000, ""),
    ]),
    "Fleurs": ("#D45D8C", 1000, [
        ("Bouquet du jour", 0, 1000, "f"), ("Rose à l'unité", 250, 1000, ""), ("Tulipes botte de 10", 990, 1000, ""),
        ("Plante verte", 1490, 1000, ""), ("Orchidée", 1990, 1000, ""), ("Terreau 20 L", 690, 1000, ""),
        ("Graines de basilic", 249, 1000, ""), ("Pot en terre", 390, 2000, ""), ("Lavande en pot", 590, 1000, ""),
        ("Cactus", 490, 1000, ""),
    ]),
    "Traiteur": ("#E08E2B", 1000, [
        ("Quiche lorraine", 390, 1000, ""), ("Sandwich jambon-beurre", 450, 1000, "*"), ("Salade composée", 590, 1000, ""),
        ("Croque-monsieur", 390, 1000, ""), ("Pizza margherita", 890, 1000, ""), ("Tarte aux légumes", 420, 1000, ""),
        ("Taboulé", 1490, 550, "w"), ("Lasagnes", 690, 1000, ""), ("Soupe du jour", 450, 1000, ""),
        ("Wrap poulet", 490, 1000, ""), ("Formule déjeuner", 990, 1000, ""), ("Café à emporter", 150, 1000, ""),
        ("Thé à emporter", 180, 1000, ""), ("Cookie", 220, 1000, ""), ("Muffin", 250, 1000, ""),
    ]),
}

DEMO_SETTINGS = {
    "shop.name": "Épicerie du Marché",
    "shop.address": "12 place du Marché\n69001 Lyon",
    "shop.phone": "04 78 00 00 00",
    "shop.siret": "81234567600017",
    "shop.vat_number": "FR19812345676",
    "receipt.header": "Ouvert du mardi au dimanche",
    "receipt.footer": "Merci de votre visite !\nÀ bientôt",
}


def demo_ean(n: int) -> str:
    """EAN-13 for demo article ``n`` (fictitious GS1 France company prefix 3 760 123)."""
    return make_ean13(f"3760123{n:05d}")


def scale_ean(n: int, grams: int = 0) -> str:
    """A scale label for weighed demo article ``n`` (rule 23: weight in grams); 0 g is the PLU itself."""
    return make_ean13(f"23{n:05d}{grams:05d}")


def load_demo_shop() -> None:
    """Users, departments, ~200 French articles and the shop identity, in one transaction."""
    with common.atomic():
        for name, pin, role in DEMO_USERS:
            if users.find_user(name) is None:
                users.create_user(name, auth.hash_pin(pin), role)
        n = 0
        existing = {d.name for d in shop_db.departments(include_inactive=True)}
        for dep_pos, (dep_name, (colour, dep_vat, items)) in enumerate(DEMO_CATALOGUE.items(), start=1):
            if dep_name in existing:
                continue
            dep_id = shop_db.save_department(dep_name, colour=colour, position=dep_pos, vat_bp=dep_vat)
            for name, price, vat, flags in items:
                n += 1
                ref = f"D{dep_pos:02d}{n:04d}"
                if catalog.find_article_by_code(ref):
                    continue
                codes = [demo_ean(n)]
                if "w" in flags:  # the scale's PLU: labels 23 AAAAA WWWWW C carry the weight
                    codes.append(scale_ean(n))
                catalog.save_article(ArticleDetail(
                    ref, name, price, vat, department_id=dep_id, barcodes=codes,
                    cost=price * 55 // 100 if price else None, stock=50_000,
                    by_weight="w" in flags, free_price="f" in flags, favourite="*" in flags))
        for key, value in DEMO_SETTINGS.items():
            if config.get_setting(key) is None:
                config.set_setting(key, settings.validate(key, value))
        events.log_event("demo_loaded")


def demo_article_count() -> int:
    return sum(len(items) for _colour, _vat, items in DEMO_CATALOGUE.values())


def synthetic_reference(i: int) -> str:
    return f"A{i:07d}"


def synthetic_barcode(i: int) -> str:
    return make_ean13(f"376{i:09d}")


_NOUNS = ["Pain", "Café", "Thé", "Fromage", "Jus", "Biscuit", "Savon", "Confiture", "Chocolat", "Vin",
          "Huile", "Farine", "Riz", "Pâtes", "Miel", "Yaourt", "Bière", "Sauce", "Soupe", "Tarte"]
_ADJS = ["bio", "artisanal", "fermier", "doux", "corsé", "léger", "nature", "vanille", "citron", "épicé",
         "fumé", "frais", "sec", "complet", "blanc", "noir", "rouge", "vert", "tradition", "maison"]
_VATS = [2000, 550, 550, 1000, 2000, 550, 210, 550]


def add_synthetic_articles(count: int, progress: Callable[[int], None] | None = None,
                           chunk: int = 50_000) -> int:
    """Append synthetic articles ``A0000001``... up to ``count`` in all (already present ones are kept)."""
    if not 0 <= count <= 1_000_000:
        raise InvalidValue(_("--articles must be between 0 and 1,000,000"))
    vat_ids = {v.rate_bp: v.id for v in shop_db.vat_rates(include_inactive=True)}
    deps = [d.id for d in shop_db.departments()]
    if not deps:
        deps = [shop_db.save_department(f"Rayon {k}", vat_bp=2000) for k in range(1, 11)]
    start = catalog.count_synthetic() + 1
    now = common.now_iso()
    for first in range(start, count + 1, chunk):
        last = min(count, first + chunk - 1)
        rows = []
        for i in range(first, last + 1):
            name = f"{_NOUNS[i % 20]} {_ADJS[(i // 20) % 20]} {_ADJS[(i // 400) % 20]} {i}"
            rows.append({"reference": synthetic_reference(i), "name": name,
                         "department": deps[i % len(deps)], "price": 50 + (i * 7919) % 4950,
                         "vat": vat_ids[_VATS[i % len(_VATS)]], "cost": None, "stock": 10_000,
                         "active": True, "by_weight": False, "free_price": False,
                         "favourite": False, "custom": "{}", "updated_at": now})
        catalog.bulk_insert_articles(rows, barcodes_for=synthetic_barcode)  # trusted: valid by construction
        if progress:
            progress(last)
    return max(0, count - start + 1)

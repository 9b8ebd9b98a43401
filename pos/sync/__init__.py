"""PrestaShop synchronisation (articles, stock, web orders).

Not built yet: the PrestaShop issue adds the Webservice client and the sync
jobs here.  Nothing imports this package today.
"""

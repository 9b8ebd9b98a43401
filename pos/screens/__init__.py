"""The touch screens (Kivy).  One module and one ``.kv`` file per screen.

Screens are thin: they call ``pos.sale.till.Till`` and ``pos.data.store`` and show
what comes back.  Nothing here computes money.
"""

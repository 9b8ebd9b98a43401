"""Search queries a cashier would type, over the synthetic catalogue of pos/demo.py."""

from __future__ import annotations

import random
import unicodedata

from pos.demo import _ADJS, _NOUNS, DEMO_CATALOGUE

FIXED = ["caf", "pain bio", "A00123", "fromage", "thé vert", "vin rouge sec", "choc noir", "biscuit doux",
         "baguette", "comté", "cafe", "the", "p", "pa", "pain b", "jus citron", "A0", "A09", "miel maison",
         "savon", "zzzz", "pâtes fraîches", "bière blonde", "tarte", "huile d'olive", "12345", "riz 7"]


def synthetic_name(i: int) -> str:
    """The name pos.demo.add_synthetic_articles gives article ``i`` (checked by the benchmarks)."""
    return f"{_NOUNS[i % 20]} {_ADJS[(i // 20) % 20]} {_ADJS[(i // 400) % 20]} {i}"


def _strip(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _prefix(rng: random.Random, word: str, shortest: int = 1) -> str:
    word = rng.choice([word, word.lower(), _strip(word).lower()])
    return word[:rng.randint(min(shortest, len(word)), len(word))]


def make_queries(n: int, seed: int = 1, count: int = 1_000_000) -> list[str]:
    """``n`` varied queries of 1 to 3 words: prefixes of the synthetic nouns and adjectives,
    references (A + digits), numbers, names of the demo shop, a few that find nothing."""
    rng = random.Random(seed)
    demo_words = [w for _c, _v, items in DEMO_CATALOGUE.values() for name, *_ in items
                  for w in name.replace("'", " ").split() if len(w) > 2 and w.isalpha()]
    out = list(FIXED)
    while len(out) < n:
        kind = rng.random()
        if kind < 0.25:  # one word
            out.append(_prefix(rng, rng.choice(_NOUNS + _ADJS), 2))
        elif kind < 0.50:  # noun + adjective
            out.append(f"{rng.choice(_NOUNS).lower()} {_prefix(rng, rng.choice(_ADJS))}")
        elif kind < 0.62:  # three words
            out.append(f"{_prefix(rng, rng.choice(_NOUNS), 3)} {rng.choice(_ADJS)} {_prefix(rng, rng.choice(_ADJS))}")
        elif kind < 0.77:  # a reference prefix
            ref = f"A{rng.randint(1, count):07d}"
            out.append(ref[:rng.randint(3, 8)])
        elif kind < 0.85:  # a word and the article's number
            out.append(f"{rng.choice(_NOUNS).lower()} {str(rng.randint(1, count))[:rng.randint(1, 4)]}")
        elif kind < 0.97:  # a demo-shop article
            out.append(_prefix(rng, rng.choice(demo_words), 3))
        else:  # nothing
            out.append(rng.choice(["xylo", "qwz", "kk zz"]))
    return out[:n]

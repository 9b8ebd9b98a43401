"""``python -m pos.fiscal.backup_verify FILE [LANG]``: verify the journal of a database copy in a
process of its own (the till's database stays open in the caller), print one JSON line
``{"ok": ..., "code": ..., "message": ...}``.  Used on scratch copies by ``pos.fiscal.backup``."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from pos.core import i18n
    from pos.data.db import close_database, open_database
    from pos.fiscal import verify

    i18n.set_language(argv[1] if len(argv) > 1 else "en")
    try:
        open_database(argv[0], upgrade=False)
        verdict = verify.verify()
        print(json.dumps({"ok": verdict.ok, "code": verdict.code, "message": str(verdict)}))
    except Exception as exc:  # a copy that cannot be read is a failed check, said as such
        print(json.dumps({"ok": False, "code": 1, "message": f"{type(exc).__name__}: {exc}"}))
    finally:
        close_database()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

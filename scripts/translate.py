"""Fill msgstr entries of a catalog from a JSON file of {msgid: translation}.

Run after `make i18n`: `python scripts/translate.py zh_CN new-strings.json`. Prints what is still
untranslated, so nothing slips through.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "hotline" / "locale"


def main(locale: str, source: str, domain: str = "messages") -> int:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    translations: dict[str, str] = json.loads(Path(source).read_text(encoding="utf-8"))
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
    with path.open("wb") as po:
        write_po(po, catalog, width=100, omit_header=False, ignore_obsolete=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    for msgid in missing:
        sys.stdout.write(f"untranslated: {msgid}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

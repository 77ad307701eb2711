"""Every user-facing string in the source has a Simplified Chinese translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from hotline.i18n import LOCALE_DIR, gettext_for, negotiate, normalize

ROOT = Path(__file__).resolve().parent.parent
METHODS = [
    ("**/simulator/**", "ignore"),
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
SIMULATOR_METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def msgids(directory: Path, methods: list[tuple[str, str]]) -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        directory, methods, keywords={"_": None, "N_": None, "gettext": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def translated(domain: str) -> dict[str, str]:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{domain}.po").open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id and isinstance(m.id, str)}


@pytest.mark.parametrize(
    ("domain", "sources"),
    [
        ("messages", [(ROOT / "hotline", METHODS), (ROOT / "agent_console", METHODS)]),
        ("simulator", [(ROOT / "hotline" / "simulator", SIMULATOR_METHODS)]),
    ],
)
def test_every_string_has_a_chinese_translation(
    domain: str, sources: list[tuple[Path, list[tuple[str, str]]]]
) -> None:
    catalog = translated(domain)
    wanted = set().union(*(msgids(directory, methods) for directory, methods in sources))
    assert wanted, "extraction found nothing: the test would prove nothing"
    untranslated = sorted(m for m in wanted if not catalog.get(m))
    assert untranslated == [], "run `make i18n` and translate these in zh_CN"


def test_catalogs_translate_and_locales_negotiate() -> None:
    assert gettext_for("zh_CN")("Go available") == "设为空闲"
    assert gettext_for("en")("Go available") == "Go available"
    assert normalize("zh-Hans-CN") == "zh_CN" and normalize("en-GB") == "en"
    assert negotiate("fr-FR,en;q=0.8") == "en"
    assert negotiate(None) == "zh_CN"


@pytest.mark.parametrize(
    "catalog",
    sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")),
    ids=lambda path: str(path.parent.parent.name) + "/" + path.name,
)
def test_every_catalog_is_well_formed(catalog: Path) -> None:
    """Merges that append to a catalog can leave an entry without its msgstr: refused here,
    where gettext would otherwise warn and drop it."""
    with catalog.open("rb") as po:
        read_po(po, abort_invalid=True)

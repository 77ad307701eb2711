"""Words that say a person is in danger now: their conversation goes first in the queue and the
counselor is shown why. A crude net, never the screen: the screener decides the crisis level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Lower-cased; matched as substrings (Chinese has no spaces between words).
BUILT_IN: Mapping[str, Sequence[str]] = {
    "zh_CN": (
        "不想活",
        "活不下去",
        "自杀",
        "轻生",
        "跳楼",
        "割腕",
        "结束生命",
        "结束自己",
        "想死",
        "安眠药",
        "遗书",
    ),
    "en": (
        "kill myself",
        "suicide",
        "end my life",
        "want to die",
        "don't want to live",
        "dont want to live",
        "overdose",
        "jump off",
        "hang myself",
    ),
}


def phrases(configured: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """The lists in force: a language configured replaces its built-in list."""
    merged = {language: tuple(words) for language, words in BUILT_IN.items()}
    merged.update({language: tuple(words) for language, words in configured.items()})
    return {
        language: tuple(w.lower() for w in words if w.strip()) for language, words in merged.items()
    }


def match(text: str, lists: Mapping[str, Sequence[str]]) -> str | None:
    """The first phrase of any language found in `text`, or None (a person may write in a
    language other than the line's)."""
    lowered = text.lower()
    for words in lists.values():
        for phrase in words:
            if phrase in lowered:
                return phrase
    return None

"""Each number's fallback answer, kept in memory: when the database cannot be read (or the
instance is overloaded) the incoming-call webhook still forwards callers to their line's partner
line, without touching anything that may be down."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hotline.config import Settings
from hotline.lines.models import Line
from hotline.telephony import prompts


@dataclass(frozen=True)
class LineFallback:
    partner_number: str | None
    languages: tuple[str, ...]

    def twiml(self) -> str:
        return prompts.fallback(self.partner_number, list(self.languages))


def of_line(line: Line) -> LineFallback:
    return LineFallback(line.partner_number or None, tuple(line.languages or ["zh_CN"]))


class Fallbacks:
    """Number -> fallback: from the lines last read, else the settings' static ones."""

    def __init__(self, settings: Settings) -> None:
        languages = (settings.default_locale,)
        self._static = {
            number: LineFallback(partner or None, languages)
            for number, partner in settings.fallback_partners.items()
        }
        self._default = LineFallback(settings.fallback_partner_number or None, languages)
        self._known: dict[str, LineFallback] = {}
        self._answers: dict[LineFallback, str] = {}  # rendered once: shedding must be cheap
        self._lock = threading.Lock()

    def remember(self, line: Line, number: str | None = None) -> None:
        with self._lock:
            self._known[number or line.number] = of_line(line)

    def replace(
        self, lines: Iterable[Line], numbers: Mapping[int, list[str]] | None = None
    ) -> None:
        """Every active line (under each of its `numbers`), as just read: a line gone or
        deactivated is forgotten."""
        known = {
            number: of_line(line)
            for line in lines
            if line.active
            for number in (numbers or {}).get(line.id or 0, [line.number])
        }
        with self._lock:
            self._known = known

    def get(self, number: str) -> LineFallback:
        return self._known.get(number) or self._static.get(number) or self._default

    def twiml(self, number: str) -> str:
        fallback = self.get(number)
        answer = self._answers.get(fallback)
        if answer is None:
            answer = self._answers[fallback] = fallback.twiml()
        return answer

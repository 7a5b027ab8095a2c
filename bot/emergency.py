"""Emergency numbers by country, from data (``bot/content/emergency_numbers.toml``). Pure."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "content" / "emergency_numbers.toml"

# Names people type that are not the country's table name.
_ALIASES = {
    "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "usa": "US", "us": "US", "america": "US",
    "united states of america": "US", "holland": "NL", "deutschland": "DE", "españa": "ES",
    "espana": "ES", "italia": "IT", "turkey": "TR", "czech republic": "CZ", "polska": "PL",
}


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    number: str
    common: bool = False


@dataclass(frozen=True)
class EmergencyTable:
    countries: dict[str, Country]
    fallback: str

    def number_for(self, code: str | None) -> str:
        """The emergency number for ``code`` (ISO alpha-2), 112 when unknown."""
        country = self.countries.get((code or "").upper())
        return country.number if country else self.fallback

    def name_for(self, code: str | None) -> str | None:
        country = self.countries.get((code or "").upper())
        return country.name if country else None

    def common(self) -> list[Country]:
        return [c for c in self.countries.values() if c.common]

    def find(self, text: str) -> Country | None:
        """A country from a typed name or code ("uk", "Germany", "de"), or None."""
        key = _normalise(text)
        if not key:
            return None
        if key.upper() in self.countries and len(key) == 2:
            return self.countries[key.upper()]
        if key in _ALIASES:
            return self.countries[_ALIASES[key]]
        for country in self.countries.values():
            if _normalise(country.name) == key:
                return country
        return None


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return " ".join(text.replace(".", "").split())


@cache
def load_emergency_table(path: Path = DATA_FILE) -> EmergencyTable:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    countries = {
        code.upper(): Country(code.upper(), entry["name"], str(entry["number"]), bool(entry.get("common")))
        for code, entry in raw["countries"].items()
    }
    return EmergencyTable(countries, str(raw["fallback"]))

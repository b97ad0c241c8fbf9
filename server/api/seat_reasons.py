"""Seat suggestions' reasons in words: `reason.<code>` from the i18n catalogue, with zones and
floors by their names and equipment by its words, in the reader's language."""

from firmware_config.labels import SiteLabels
from server.api.refusals import DEFAULT_LANGUAGE, PLACEHOLDER, catalogue
from server.domain.seat_policy import Reason, ReasonFact


def reason_words(reason: Reason, lang: str, labels: SiteLabels) -> str:
    """What a person reads for one reason, e.g. "Near your team, 4F"."""
    key = f"reason.{reason.code}"
    template = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key, reason.code)
    shown = {name: _shown(name, value, lang, labels) for name, value in reason.facts.items()}
    return PLACEHOLDER.sub(lambda m: shown.get(m[1], ""), template)


def _shown(name: str, value: ReasonFact, lang: str, labels: SiteLabels) -> str:
    if isinstance(value, tuple):
        words = catalogue(lang)
        terms = [words.get(f"equipment.{item}", item) for item in value]
        return ("、" if lang == "ja" else ", ").join(terms)
    if isinstance(value, str):
        return labels.of_fact(name, value, lang) or value
    return str(value)

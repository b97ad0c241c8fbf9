"""Every refusal has a status and words in both languages, filled from its facts."""

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from starlette.requests import Request

from server.api.refusals import STATUS, answer, language, words
from server.domain.refusals import Refusal, RefusalCode

CATALOGUE = Path(__file__).resolve().parents[2] / "dashboard" / "i18n"
JST = timezone(timedelta(hours=9))


def request(headers: dict[str, str] | None = None, query: str = "") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "headers": raw, "query_string": query.encode()})


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_code_has_a_status_and_words_that_name_no_route_or_status(lang: str) -> None:
    strings = json.loads((CATALOGUE / f"{lang}.json").read_text("utf-8"))
    for code in RefusalCode:
        assert code in STATUS, code
        text = strings[f"errors.{code.value}"]
        assert "/api/" not in text and not re.search(r"\b[45]\d\d\b", text), (code, text)


def test_the_catalogues_have_the_same_keys() -> None:
    en = json.loads((CATALOGUE / "en.json").read_text("utf-8"))
    ja = json.loads((CATALOGUE / "ja.json").read_text("utf-8"))
    assert en.keys() == ja.keys()


def test_words_follow_the_readers_language_and_fill_in_the_facts() -> None:
    closed = Refusal(RefusalCode.CLAIMS_CLOSED, until=datetime(2026, 11, 30, 20, 0, tzinfo=JST))
    assert words(closed, "en").startswith("Desks are held only until 20:00, the end")
    assert words(closed, "ja").startswith("座席の確保は終業時刻の 20:00 まで")
    held = Refusal(RefusalCode.SEAT_ALREADY_HELD, desk="desk-f3-a-01-01")
    assert "先に今の席を解放してください" in words(held, "ja")
    assert "release your desk first" in words(held, "en")
    assert language(request({"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.8"})) == "ja"
    assert language(request({"Accept-Language": "fr-FR"})) == "en"
    assert language(request({"Accept-Language": "ja", "Cookie": "lang=en"})) == "en"
    assert language(request({"Cookie": "lang=en"}, query="lang=ja")) == "ja"


def test_the_answer_carries_status_code_words_facts_and_retry_after() -> None:
    limited = Refusal(RefusalCode.TOO_MANY_ATTEMPTS, retry_after_s=60, wait_min=1, room="r-1")
    response = answer(request({"Accept-Language": "en"}), limited)
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert json.loads(bytes(response.body)) == {
        "code": "too_many_attempts",
        "detail": "Too many wrong codes; wait 1 min and try again.",
        "retry_after_s": 60,
        "wait_min": 1,
        "room": "r-1",
    }


def test_facts_never_shadow_the_answers_own_keys() -> None:
    with pytest.raises(ValueError, match="shadow"):
        Refusal(RefusalCode.CODE_WRONG, code="123456")

"""GET /api/v1/retirement-date: the calculation for clients, documented, with 422s for bad input."""

from __future__ import annotations

import httpx
import pytest

from tests.spec import assert_matches_spec

PATH = "/api/v1/retirement-date"


async def test_answers_the_example_with_sources(api: httpx.AsyncClient) -> None:
    response = await api.get(
        PATH, params={"sex": "male", "birth": "1975-06", "track": "male_worker", "date": "2026-12-01"}
    )
    assert response.status_code == 200
    body = response.json()
    assert_matches_spec(200, body, "GET", PATH)
    retirement = body["retirement"]
    assert retirement["statutory_age"]["label"] == "62岁8个月"
    assert retirement["retirement_month"] == "2038-02"
    assert retirement["minimum_contribution"]["label"] == "19年6个月"
    assert retirement["flexible"]["earliest_month"] == "2035-06"
    assert "2038年2月" in retirement["text"]
    assert {source["kind"] for source in body["sources"]} >= {"statute", "state_council"}
    assert any("档案" in note for note in body["notes"])


async def test_female_tracks(api: httpx.AsyncClient) -> None:
    low = await api.get(PATH, params={"sex": "female", "birth": "1984-11", "track": "female_worker_50"})
    high = await api.get(PATH, params={"sex": "female", "birth": "1981-09", "track": "female_worker_55"})
    assert low.json()["retirement"]["statutory_age"]["label"] == "55岁"
    assert high.json()["retirement"]["statutory_age"]["label"] == "58岁"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"sex": "male"}, "validation_error"),
        ({"sex": "man", "birth": "1975-06"}, "validation_error"),
        ({"sex": "male", "birth": "1975-6"}, "validation_error"),
        ({"sex": "male", "birth": "1975-06", "colour": "red"}, "validation_error"),
        ({"sex": "female", "birth": "1975-06"}, "track_required"),
        ({"sex": "male", "birth": "1975-06", "track": "female_worker_55"}, "track_mismatch"),
        ({"sex": "female", "birth": "1975-06", "track": "cadre"}, "invalid_track"),
        ({"sex": "male", "birth": "2999-01"}, "invalid_birth"),
        ({"sex": "male", "birth": "1960-01", "date": "2024-12-31"}, "rules_not_in_force"),
    ],
)
async def test_bad_input_is_a_clear_422(api: httpx.AsyncClient, params: dict, code: str) -> None:
    response = await api.get(PATH, params=params)
    assert response.status_code == 422
    assert_matches_spec(422, response.json(), "GET", PATH)
    assert response.json()["error"]["code"] == code


async def test_the_guide_answers_the_same_in_conversation(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/guide/messages", json={"text": "我是1975年6月出生的男职工,什么时候能退休"}
    )
    assert response.status_code == 200
    assert_matches_spec(200, response.json(), "POST", "/api/v1/guide/messages")
    reply = response.json()["reply"]
    assert response.json()["bundle"] == "retirement" and reply["topic"] == "retirement_date"
    assert reply["retirement_date"]["statutory_age"]["label"] == "62岁8个月"

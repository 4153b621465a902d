"""GET /api/v1/bundles and /api/v1/bundles/{slug}: the contract's 18 slugs, caching, dates, errors."""

from __future__ import annotations

import httpx

from server.guide.contract import CONTRACT_BUNDLES
from tests.spec import assert_matches_spec

SLUGS = [slug for slug, _, _ in CONTRACT_BUNDLES]


async def test_lists_exactly_the_contract_bundles(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/bundles")
    assert response.status_code == 200
    assert_matches_spec(200, response.json(), "GET", "/api/v1/bundles")
    assert [b["slug"] for b in response.json()["bundles"]] == SLUGS
    names = {b["slug"]: (b["name"], b["kind"]) for b in response.json()["bundles"]}
    assert names == {slug: (name, kind) for slug, name, kind in CONTRACT_BUNDLES}
    assert response.headers["x-knowledge-version"]


async def test_filters_by_kind(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/bundles", params={"kind": "enterprise"})
    kinds = {b["kind"] for b in response.json()["bundles"]}
    assert kinds == {"enterprise"} and len(response.json()["bundles"]) == 7


async def test_bad_kind_is_a_clear_422(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/bundles", params={"kind": "alien"})
    assert response.status_code == 422
    assert_matches_spec(422, response.json(), "GET", "/api/v1/bundles")
    assert response.json()["error"]["code"] == "validation_error"


async def test_etag_gives_304_until_knowledge_or_date_changes(api: httpx.AsyncClient) -> None:
    first = await api.get("/api/v1/bundles/marriage")
    etag = first.headers["etag"]
    again = await api.get("/api/v1/bundles/marriage", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other_day = await api.get(
        "/api/v1/bundles/marriage", params={"date": "2025-01-01"}, headers={"If-None-Match": etag}
    )
    assert other_day.status_code == 200


async def test_guide_follows_the_date_asked_on(api: httpx.AsyncClient) -> None:
    """Marriage registration needed the 户口簿 before the 2025 revision, and not since 2025-05-10."""

    def material_names(guide: dict) -> set[str]:
        return {
            material["name"]
            for item in guide["items"]
            if item["id"] == "marriage_registration"
            for material in item["materials"]
        }

    before = await api.get("/api/v1/bundles/marriage", params={"date": "2025-05-09"})
    after = await api.get("/api/v1/bundles/marriage", params={"date": "2025-05-10"})
    assert_matches_spec(200, after.json(), "GET", "/api/v1/bundles/{slug}")
    assert "居民户口簿" in material_names(before.json())
    assert "居民户口簿" not in material_names(after.json())
    assert "居民身份证" in material_names(after.json())


async def test_every_bundle_has_a_full_guide(api: httpx.AsyncClient) -> None:
    for slug in SLUGS:
        response = await api.get(f"/api/v1/bundles/{slug}")
        assert response.status_code == 200, slug
        assert_matches_spec(200, response.json(), "GET", "/api/v1/bundles/{slug}")
        assert response.json()["items"], slug


async def test_unknown_bundle_is_404_in_the_error_shape(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/bundles/passport")
    assert response.status_code == 404
    assert_matches_spec(404, response.json(), "GET", "/api/v1/bundles/{slug}")
    assert response.json()["error"]["code"] == "bundle_not_found"

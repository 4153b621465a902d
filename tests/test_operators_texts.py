"""knowledge/operators.yaml: the real file loads; a broken one is refused naming file and field; the
request phrasings catch ways of asking for a human and leave medical 人工 terms alone."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import httpx
import pytest
import yaml

from server.config import REPO_ROOT
from server.operators.errors import OperatorsConfigError
from server.operators.texts import load_operators_knowledge
from tests.fakes.waiting import wait_until

REAL = load_operators_knowledge(REPO_ROOT / "knowledge")


@pytest.mark.parametrize(
    "text", ["转人工", "人工!", "我要找人工客服", "能不能转接人工", "客服", "找个真人客服聊聊"]
)
def test_asks_for_a_human(text: str) -> None:
    assert REAL.asks_for_human(text)


@pytest.mark.parametrize(
    "text", ["人工授精能报销吗", "人工流产后要办什么", "我要退休了", "", "客服电话多少" * 5]
)
def test_does_not_ask_for_a_human(text: str) -> None:
    assert not REAL.asks_for_human(text)


def test_a_broken_file_names_file_and_field(tmp_path: Path) -> None:
    raw = yaml.safe_load((REPO_ROOT / "knowledge" / "operators.yaml").read_text(encoding="utf-8"))
    raw["ratings"]["levels"].pop(3)
    raw["handoff"]["offer_after_fallbacks"] = 0
    (tmp_path / "operators.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(OperatorsConfigError) as refused:
        load_operators_knowledge(tmp_path)
    message = str(refused.value)
    assert f"{tmp_path.name}/operators.yaml: handoff.offer_after_fallbacks" in message
    assert "levels must name exactly the scores 1 to 5" in message
    missing = tmp_path / "empty"
    missing.mkdir()
    with pytest.raises(OperatorsConfigError, match="cannot read"):
        load_operators_knowledge(missing)


def test_the_server_refuses_to_start_on_a_broken_file(live_server, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    (knowledge / "operators.yaml").write_text("handoff: [", encoding="utf-8")
    with pytest.raises(RuntimeError, match="operators.yaml: not valid YAML"):
        live_server(KNOWLEDGE_DIR=str(knowledge))


async def test_console_files_are_served_with_a_strict_policy(api: httpx.AsyncClient) -> None:
    page = await api.get("/console")
    assert page.status_code == 200 and "客服工作台" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = await api.get("/console/console.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert (await api.get("/console/vendor/echarts.min.js")).status_code == 200
    for bad in ("/console/../config.py", "/console/%2e%2e/config.py", "/console/nope.js"):
        assert (await api.get(bad)).status_code == 404, bad


def test_a_knowledge_reload_rereads_the_file_and_refuses_a_broken_one(live_server, tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    server = live_server(KNOWLEDGE_DIR=str(knowledge))
    path = knowledge / "operators.yaml"

    def tag_texts() -> set[str]:
        return {
            t["text"]
            for t in httpx.get(server.base_url + "/api/v1/rating-options", timeout=30).json()["tags"]
        }

    path.write_text(path.read_text(encoding="utf-8").replace("排队等候时间长", "排队太久"), encoding="utf-8")
    server.process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "排队太久" in tag_texts()), "the edited tag was not picked up"
    path.write_text("handoff: [", encoding="utf-8")
    server.process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "operators.yaml reload refused" in server.output())
    assert "排队太久" in tag_texts()  # the previous texts keep serving

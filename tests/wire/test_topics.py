"""The topic tree: built by `wire.topics` only, and read back by it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wire import topics
from wire.errors import PayloadError

ROOT = Path(__file__).resolve().parents[2]
#: where code lives; tests/wire/golden holds data, not code
SOURCES = ["alerts", "bench", "collector", "demo", "devices", "gateway", "plugins", "sharing"]
SOURCES += ["tests", "veille", "web"]


def test_each_topic_reads_back_as_what_built_it() -> None:
    topic = topics.reading("gw-7", "weight")
    assert topic == "veille/v1/gw/gw-7/reading/weight"
    assert topics.parse_reading(topic) == ("gw-7", "weight")
    assert topics.gateway_of(topic) == "gw-7"
    assert topics.gateway_of(topics.ack("gw-7")) == "gw-7"
    assert topics.gateway_of(topics.DEAD_LETTER) is None
    assert topics.is_ack(topics.ack("gw-7"))
    assert not topics.is_ack(topics.status("gw-7"))
    assert topics.is_status(topics.status("gw-7"))
    assert not topics.is_status(topic)
    assert topics.is_alert(topics.alert("urgent"))
    assert not topics.is_alert(topic)
    assert topics.shared("collectors", topics.ALL_READINGS) == (
        "$share/collectors/veille/v1/gw/+/reading/#"
    )


@pytest.mark.parametrize(
    "topic",
    [
        "veille/v1/gw/gw-7/reading",
        "veille/v1/gw/gw-7/reading/weight/extra",
        "veille/v1/gw/gw-7/ack",
        "veille/v2/gw/gw-7/reading/weight",
        "elsewhere/gw-7/reading/weight",
    ],
)
def test_anything_else_is_not_a_reading_topic(topic: str) -> None:
    with pytest.raises(PayloadError, match="is not veille/v1/gw/<gateway>/reading/<kind>"):
        topics.parse_reading(topic)


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_no_topic_is_spelled_outside_wire() -> None:
    """One place builds topics: a ``veille/v1`` string anywhere else is a second one."""
    offences: list[str] = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue  # the examples above spell topics on purpose, to check the builders
            tree = ast.parse(path.read_text(), filename=str(path))
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and "veille/v1" in node.value
                    and id(node) not in docs
                ):
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offences, offences

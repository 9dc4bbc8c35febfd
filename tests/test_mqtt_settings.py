"""Broker settings read from the environment as an operator writes them."""

from __future__ import annotations

import pytest

from veille.config import load_section
from veille.errors import ConfigError
from veille.mqtt import BrokerSettings


@pytest.mark.parametrize(("raw", "expected"), [("5", "5"), ("3.1.1", "3.1.1"), ("auto", "auto")])
def test_protocol_from_the_environment(raw: str, expected: str) -> None:
    env = {"VEILLE_BROKER__PROTOCOL": raw, "VEILLE_BROKER__URL": "mqtts://broker:8883"}
    settings = load_section(BrokerSettings, "broker", env=env)
    assert settings.protocol == expected
    assert settings.endpoint() == ("broker", 8883, True)


def test_unknown_protocol_is_refused_with_the_key_named() -> None:
    with pytest.raises(ConfigError, match=r"\[broker\] protocol"):
        load_section(BrokerSettings, "broker", env={"VEILLE_BROKER__PROTOCOL": "4"})

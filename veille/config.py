"""One TOML file, every key overridable by an environment variable.

Each package owns the pydantic model of its own section (``[gateway]``,
``[collector]``, ``[broker]``, ...); this module only finds the file, reads a
section and lays the environment over it. ``VEILLE_GATEWAY__ID=gw-7`` sets
``[gateway] id``; ``VEILLE_BROKER__TLS__CA_FILE`` reaches a nested table.
Values from the environment are parsed as TOML scalars when they parse
(``true``, ``42``, ``"x"``) and kept as strings otherwise.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from veille.errors import ConfigError

ENV_PREFIX = "VEILLE_"
CONFIG_ENV = "VEILLE_CONFIG"

Model = TypeVar("Model", bound=BaseModel)


def config_path(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The file to read: the one named, else $VEILLE_CONFIG, else none."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit
    named = env.get(CONFIG_ENV)
    return Path(named) if named else None


def read_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as err:
        raise ConfigError(f"config file {path} does not exist") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {path}: {err}") from err


def _scalar(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def env_overrides(section: str, env: Mapping[str, str]) -> dict[str, Any]:
    prefix = f"{ENV_PREFIX}{section.upper()}__"
    tree: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(prefix):
            continue
        keys = [part.lower() for part in name[len(prefix) :].split("__")]
        node = tree
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = _scalar(value)
    return tree


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_section(
    model: type[Model],
    section: str,
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Model:
    """Settings of one section: defaults < file < environment."""
    env = os.environ if env is None else env
    data = _merge(dict(defaults or {}), read_file(config_path(path, env)).get(section, {}))
    data = _merge(data, env_overrides(section, env))
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"[{section}] {key}: {first['msg']}") from err

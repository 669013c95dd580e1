"""Config validation names every bad field at once."""

from __future__ import annotations

import pytest

from sitegen.config import BuildConfig, replace, validate
from sitegen.errors import ConfigError


def test_defaults_are_valid():
    assert validate(BuildConfig(), ("lsi",)) == BuildConfig()


def test_all_errors_are_collected_and_name_their_field():
    bad = replace(BuildConfig(), **{"fetch.rate": -1, "neighbours.k": 0, "fetch.content_ratings": ("safe", "gory"),
                                    "models.names": ("nope",)})
    with pytest.raises(ConfigError) as err:
        validate(bad, ("lsi", "word2vec"))
    message = str(err.value)
    assert "Config value 'fetch.rate': expected > 0, got -1" in message
    assert "Config value 'neighbours.k': expected > 0, got 0" in message
    assert "'fetch.content_ratings': unknown 'gory'" in message
    assert "'models.names': unknown 'nope'" in message
    assert "\n" not in message


def test_file_source_needs_a_path():
    with pytest.raises(ConfigError, match="catalogue.path"):
        validate(replace(BuildConfig(), **{"catalogue.source": "file"}))


def test_config_is_frozen():
    with pytest.raises(Exception):
        BuildConfig().seed = 3  # type: ignore[misc]

"""Config validation names every bad field at once; the models' settings come from their declarations."""

from __future__ import annotations

import dataclasses

import pytest

from sitegen.config import BuildConfig, declared_fields, replace, validate
from sitegen.errors import ConfigError
from sitegen.models import REGISTRY


def test_defaults_are_valid():
    assert validate(BuildConfig()) == BuildConfig()


def test_all_errors_are_collected_and_name_their_field():
    bad = replace(BuildConfig(), **{"fetch.rate": -1, "neighbours.k": 0, "fetch.content_ratings": ("safe", "gory"),
                                    "models.names": ("nope",), "models.lsi.rank": 0,
                                    "models.lsi_popularity.weights": (0.1, 1.0)})
    with pytest.raises(ConfigError) as err:
        validate(bad)
    message = str(err.value)
    assert "Config value 'fetch.rate': expected > 0, got -1" in message
    assert "Config value 'neighbours.k': expected > 0, got 0" in message
    assert "'fetch.content_ratings': unknown 'gory'" in message
    assert "'models.names': unknown 'nope'" in message
    assert "Config value 'models.lsi.rank': expected >= 1, got 0" in message
    assert "'models.lsi_popularity.weights': expected a value in [0, 1), got 1.0" in message
    assert "\n" not in message


def test_every_field_is_declared_with_help():
    for name, param, _ in declared_fields(BuildConfig()):
        assert param.help.strip(), name


def test_the_model_section_is_derived_from_the_models():
    models = BuildConfig().models
    for name, cls in REGISTRY.items():
        section = getattr(models, name)
        assert [f.name for f in dataclasses.fields(section)] == list(cls.params)
        assert {k: getattr(section, k) for k in cls.params} == {k: p.default for k, p in cls.params.items()}


def test_a_setting_that_follows_another_takes_its_value():
    config = replace(BuildConfig(), **{"neighbours.k": 7})
    assert REGISTRY["lsi_popularity"].from_config(config).k == 7
    assert REGISTRY["lsi_popularity"].from_config(replace(config, **{"models.lsi_popularity.k": 3})).k == 3


def test_file_source_needs_a_path():
    with pytest.raises(ConfigError, match="catalogue.path"):
        validate(replace(BuildConfig(), **{"catalogue.source": "file"}))


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        BuildConfig().seed = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        BuildConfig().models.lsi.rank = 3  # type: ignore[misc]

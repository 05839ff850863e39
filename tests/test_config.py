"""Settings: environment over defaults, flags over environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from egov_qa import Settings


def test_defaults_environment_and_flags() -> None:
    plain = Settings.from_env({"HOME": "/home/ani"})
    assert plain.corpus_dir == Path("corpus") and plain.index_dir == Path("index") and plain.model is None
    assert plain.models_dir == Path("/home/ani/.cache/egov-qa/models")
    env = Settings.from_env(
        {
            "EGOV_QA_CORPUS_DIR": "/data/c",
            "EGOV_QA_INDEX_DIR": "/data/i",
            "EGOV_QA_MODEL": "m",
            "XDG_CACHE_HOME": "/xdg",
        }
    )
    assert (env.corpus_dir, env.index_dir, env.model) == (Path("/data/c"), Path("/data/i"), "m")
    assert env.models_dir == Path("/xdg/egov-qa/models")
    flagged = env.with_overrides(index_dir="/flag/i", model=None)
    assert flagged.index_dir == Path("/flag/i") and flagged.model == "m" and flagged.corpus_dir == Path("/data/c")


def test_settings_made_in_code_find_the_users_model_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ani")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert Settings().models_dir == Path("/home/ani/.cache/egov-qa/models"), "not a folder named '~' here"
    given = Settings(models_dir=Path("~/models"), corpus_dir=Path("~/c"))
    assert (given.models_dir, given.corpus_dir) == (Path("/home/ani/models"), Path("/home/ani/c"))
    assert Settings.from_env({"HOME": "/home/ani", "EGOV_QA_MODELS_DIR": "~/m"}).models_dir == Path("/home/ani/m")

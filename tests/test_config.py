"""Settings: environment over defaults, flags over environment."""

from __future__ import annotations

from pathlib import Path

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

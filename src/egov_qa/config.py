"""Settings: the only code in egov-qa that reads the environment (EGOV_QA_*)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from egov_qa.modelprep import DEFAULT_MODEL

__all__ = ["BACKENDS", "BACKEND_ONNX", "BACKEND_ST", "DEFAULT_MODEL", "Settings"]
# the engines that run an embedding model: onnxruntime serves the default model, int8; any model on torch
BACKEND_ONNX = "onnx"
BACKEND_ST = "sentence-transformers"
BACKENDS = (BACKEND_ONNX, BACKEND_ST)
ENV_CORPUS = "EGOV_QA_CORPUS_DIR"
ENV_INDEX = "EGOV_QA_INDEX_DIR"
ENV_MODEL = "EGOV_QA_MODEL"
ENV_MODELS_DIR = "EGOV_QA_MODELS_DIR"
ENV_BACKEND = "EGOV_QA_BACKEND"
ENV_ALLOWED_HOSTS = "EGOV_QA_ALLOWED_HOSTS"
ENV_ADMIN_PASSWORD = "EGOV_QA_ADMIN_PASSWORD"
ENV_SERVER_ADDRESS = "EGOV_QA_SERVER_ADDRESS"


def _default_models_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".cache")
    return Path(base) / "egov-qa" / "models"


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the corpus, the index and the models live, and which model embeds.

    Precedence: an explicit argument (a CLI flag) > environment variable > default.
    ``model`` is None when nobody chose one: an existing index then keeps the model it was
    built with, and a new index gets :data:`DEFAULT_MODEL`. ``backend`` is the engine that runs
    the model (one of :data:`BACKENDS`); None: the engine an existing index was built with, else
    ONNX for the default model and sentence-transformers for any other. ``allowed_hosts`` are the host
    names whose pages may be fetched although they resolve to internal addresses (an
    intranet); ``admin_password`` unlocks corpus management in the app when it is served
    beyond this machine; ``server_address`` is the address ``egov-qa serve`` listens on.
    """

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str | None = None
    models_dir: Path = field(default_factory=lambda: _default_models_dir(os.environ))
    backend: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    admin_password: str | None = field(default=None, repr=False)
    server_address: str | None = None

    def __post_init__(self) -> None:
        # "~/models" given in code or in a .env file: the user's folder, not a folder named "~" here
        for name in ("corpus_dir", "index_dir", "models_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the EGOV_QA_* variables (or ``env``) over the defaults."""
        env = os.environ if env is None else env
        return cls(
            corpus_dir=Path(env.get(ENV_CORPUS) or "corpus"),
            index_dir=Path(env.get(ENV_INDEX) or "index"),
            model=env.get(ENV_MODEL) or None,
            models_dir=Path(env.get(ENV_MODELS_DIR) or _default_models_dir(env)),
            backend=env.get(ENV_BACKEND) or None,
            allowed_hosts=tuple(h for h in re.split(r"[\s,]+", env.get(ENV_ALLOWED_HOSTS, "")) if h),
            admin_password=env.get(ENV_ADMIN_PASSWORD) or None,
            server_address=env.get(ENV_SERVER_ADDRESS) or None,
        )

    def child_env(self) -> dict[str, str]:
        """Return this process's environment with these settings written into EGOV_QA_*, for a child process."""
        env = dict(os.environ)
        env.update({ENV_CORPUS: str(self.corpus_dir.resolve()), ENV_INDEX: str(self.index_dir.resolve())})
        env[ENV_MODELS_DIR] = str(self.models_dir)
        if self.model:
            env[ENV_MODEL] = self.model
        if self.backend:
            env[ENV_BACKEND] = self.backend
        if self.allowed_hosts:
            env[ENV_ALLOWED_HOSTS] = ",".join(self.allowed_hosts)
        if self.admin_password:
            env[ENV_ADMIN_PASSWORD] = self.admin_password
        if self.server_address:
            env[ENV_SERVER_ADDRESS] = self.server_address
        return env

    def with_overrides(
        self,
        *,
        corpus_dir: Path | str | None = None,
        index_dir: Path | str | None = None,
        model: str | None = None,
        backend: str | None = None,
        admin_password: str | None = None,
        server_address: str | None = None,
    ) -> Settings:
        """Return a copy with the given non-None values (CLI flags) applied."""
        return replace(
            self,
            corpus_dir=Path(corpus_dir) if corpus_dir is not None else self.corpus_dir,
            index_dir=Path(index_dir) if index_dir is not None else self.index_dir,
            model=model if model is not None else self.model,
            backend=backend if backend is not None else self.backend,
            admin_password=admin_password if admin_password is not None else self.admin_password,
            server_address=server_address if server_address is not None else self.server_address,
        )

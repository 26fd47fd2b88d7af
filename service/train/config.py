"""The training configuration: one typed object, read from `stopline.toml`, overridable by env.

Environment variables take the `STOPLINE_` prefix and `__` for nesting, so CI
or a person can tighten a gate without editing the file:
`STOPLINE_GATE__MIN_MACRO_F1=0.99 pytest -m model`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from service.errors import StoplineError
from service.schema import InputSchema

DEFAULT_CONFIG = Path("stopline.toml")


class ConfigError(StoplineError):
    """The configuration file or an override is invalid; the message names the setting."""


class ModelParams(BaseModel):
    """Hyper-parameters of the logistic-regression classifier."""

    model_config = ConfigDict(extra="forbid")

    C: float = Field(1.0, gt=0, description="Inverse regularisation strength.")
    max_iter: int = Field(1000, ge=10, le=100_000, description="Solver iteration cap.")


class GateConfig(BaseModel):
    """The quality gate a challenger must pass on the holdout."""

    model_config = ConfigDict(extra="forbid")

    min_macro_f1: float = Field(0.95, ge=0, le=1, description="Lowest acceptable macro-F1.")
    min_accuracy: float = Field(0.0, ge=0, le=1, description="Lowest acceptable accuracy.")
    max_log_loss: float | None = Field(None, gt=0, description="Highest acceptable log-loss (calibration).")
    champion: Path | None = Field(None, description="Bundle the challenger must not regress from.")
    max_regression: float = Field(
        0.01, ge=0, le=1, description="How much macro-F1 the challenger may lose to the champion."
    )


class TrainConfig(BaseSettings):
    """Everything training needs: data, schema, split, model and gate."""

    model_config = SettingsConfigDict(
        env_prefix="STOPLINE_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Model name, used in URLs.")
    data: Path = Field(description="CSV file to train on, relative to the config file.")
    target: str = Field(min_length=1, description="Column holding the label.")
    classes: tuple[str, ...] = Field(min_length=2, description="Every label the target may hold.")
    missing_values: tuple[str, ...] = Field(("", "NA"), description="Cells that mean missing.")
    ignored_columns: tuple[str, ...] = Field((), description="Columns present but not used.")
    input_schema: InputSchema = Field(alias="schema", description="The declared features.")
    seed: int = Field(0, ge=0, description="Seed of every random choice.")
    holdout_fraction: float = Field(0.25, gt=0, lt=1, description="Share of rows held out.")
    model: ModelParams = ModelParams()
    gate: GateConfig = GateConfig()

    @model_validator(mode="after")
    def _columns_do_not_clash(self) -> TrainConfig:
        features = set(self.input_schema.names)
        if self.target in features:
            raise ValueError(f"target {self.target!r} is also a feature")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes repeat")
        clash = features.intersection(self.ignored_columns)
        if clash:
            raise ValueError(f"ignored_columns also lists features: {sorted(clash)}")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """Give every column the CSV must have, in no particular order."""
        return (self.target, *self.input_schema.names, *self.ignored_columns)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init arguments; the environment overrides it.
        return (env_settings, init_settings)


def load_config(path: Path = DEFAULT_CONFIG) -> TrainConfig:
    """Give the validated configuration in `path`, with paths resolved against its folder.

    Raises ConfigError naming the file and each bad setting.
    """
    path = Path(path)
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    try:
        config = TrainConfig(**raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: invalid configuration: {problems}") from None
    base = path.resolve().parent
    gate = config.gate
    if gate.champion is not None and not gate.champion.is_absolute():
        gate = gate.model_copy(update={"champion": base / gate.champion})
    return config.model_copy(update={"data": base / config.data, "gate": gate})

"""The project configuration: one typed object, read from `stopline.toml`, overridable by env.

Environment variables take the `STOPLINE_` prefix and `__` for nesting, so CI
or a person can tighten a gate without editing the file:
`STOPLINE_GATE__MIN_MACRO_F1=0.99 pytest -m model`. `STOPLINE_CONFIG` names
the project file itself (default `stopline.toml`). docs/project.md is the
reference of every key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from service.errors import StoplineError
from service.schema import InputSchema, Name, Task
from service.train.checks import ChecksConfig, Project, validate
from service.train.estimators import DEFAULT_ESTIMATOR, TASK_ESTIMATORS, ModelSpec

DEFAULT_CONFIG = Path("stopline.toml")
CONFIG_ENV = "STOPLINE_CONFIG"


class ConfigError(StoplineError):
    """The configuration file or an override is invalid; the message names the setting."""


# Each gate key bounds one holdout metric of one task: min_X (X must be at least) or max_X.
GATE_KEYS: dict[Task, tuple[str, ...]] = {
    "classification": ("min_accuracy", "min_macro_f1", "max_log_loss"),
    "regression": ("max_rmse", "max_mae", "min_r2"),
}
# The metric a champion is compared by: higher is better for both.
PRIMARY_METRIC: dict[Task, str] = {"classification": "macro_f1", "regression": "r2"}


class GateConfig(BaseModel):
    """The quality gate a challenger must pass on the holdout; only the task's own keys may be set."""

    model_config = ConfigDict(extra="forbid")

    min_accuracy: float | None = Field(None, ge=0, le=1, description="Lowest acceptable accuracy.")
    min_macro_f1: float | None = Field(None, ge=0, le=1, description="Lowest acceptable macro-F1.")
    max_log_loss: float | None = Field(None, gt=0, description="Highest acceptable log-loss (calibration).")
    max_rmse: float | None = Field(None, gt=0, description="Highest acceptable root-mean-square error.")
    max_mae: float | None = Field(None, gt=0, description="Highest acceptable mean absolute error.")
    min_r2: float | None = Field(None, le=1, description="Lowest acceptable coefficient of determination.")
    champion: Path | None = Field(None, description="Bundle the challenger must not regress from.")
    max_regression: float = Field(
        0.01, ge=0, le=1, description="How much of the primary metric the challenger may lose to the champion."
    )

    def thresholds(self) -> dict[str, float]:
        """Give the thresholds that are set, by gate key."""
        keys = (*GATE_KEYS["classification"], *GATE_KEYS["regression"])
        return {key: getattr(self, key) for key in keys if getattr(self, key) is not None}


class TrainConfig(BaseSettings):
    """Everything training needs: data, task, schema, split, model, gate and checks."""

    model_config = SettingsConfigDict(
        env_prefix="STOPLINE_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Model name, used in URLs.")
    data: Path = Field(description="CSV file to train on, relative to the config file.")
    task: Task = Field("classification", description="What is predicted.")
    target: Name = Field(description="Column holding the label or value to predict.")
    classes: tuple[Name, ...] = Field((), description="Classification: every label the target may hold.")
    missing_values: tuple[str, ...] = Field(("", "NA"), description="Cells that mean missing.")
    ignored_columns: tuple[str, ...] = Field((), description="Columns present but not used.")
    input_schema: InputSchema = Field(alias="schema", description="The declared features.")
    seed: int = Field(0, ge=0, description="Seed of every random choice.")
    holdout_fraction: float = Field(0.25, gt=0, lt=1, description="Share of rows held out.")
    model: ModelSpec = Field(description="The estimator and its parameters (default: the task's own).")
    gate: GateConfig = GateConfig()
    checks: ChecksConfig = ChecksConfig()

    @model_validator(mode="before")
    @classmethod
    def _default_estimator(cls, data: Any) -> Any:
        if isinstance(data, dict):
            model = data.get("model") or {}
            if isinstance(model, dict) and "estimator" not in model:
                task = data.get("task", "classification")
                data = {**data, "model": {**model, "estimator": DEFAULT_ESTIMATOR.get(task, "")}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        features = set(self.input_schema.names)
        if self.target in features:
            raise ValueError(f"target {self.target!r} is also a feature")
        if self.target in self.ignored_columns:
            raise ValueError(f"target {self.target!r} is also listed in ignored_columns")
        clash = features.intersection(self.ignored_columns)
        if clash:
            raise ValueError(f"ignored_columns also lists features: {sorted(clash)}")
        if self.task == "classification":
            if len(self.classes) < 2:
                raise ValueError("a classification project needs `classes`, at least two")
            if len(set(self.classes)) != len(self.classes):
                raise ValueError("classes repeat")
        elif self.classes:
            raise ValueError("`classes` is for classification; a regression project predicts a number")
        if self.model.estimator not in TASK_ESTIMATORS[self.task]:
            raise ValueError(f"model.estimator {self.model.estimator!r} does not do {self.task}; "
                             f"choose one of {list(TASK_ESTIMATORS[self.task])}")
        thresholds = self.gate.thresholds()
        foreign = sorted(set(thresholds) - set(GATE_KEYS[self.task]))
        if foreign:
            raise ValueError(f"gate {foreign} are not metrics of {self.task}; "
                             f"its gate keys are {list(GATE_KEYS[self.task])}")
        if not thresholds:
            raise ValueError(f"the gate sets no threshold, so it could not fail; set one of "
                             f"{list(GATE_KEYS[self.task])}")
        validate(self.project, self.checks)
        return self

    @property
    def project(self) -> Project:
        """Give what behavioural checks are read against."""
        return Project(self.input_schema, self.task, self.classes, self.missing_values)

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


def config_path(path: Path | None = None) -> Path:
    """Give the project file: `path`, else $STOPLINE_CONFIG, else stopline.toml."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: Path | None = None) -> TrainConfig:
    """Give the validated configuration in `path` (default: config_path()), paths resolved against its folder.

    Raises ConfigError naming the file and each bad setting.
    """
    path = config_path(path)
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

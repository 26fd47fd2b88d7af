"""The declared input schema: which features a model takes, and what values are allowed.

Training validates the CSV against it, the bundle carries it, and the service
builds its request model from it, so one declaration governs every edge.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def usable_name(name: str) -> bool:
    """Tell whether `name` may name a feature, target or class: printable, no surrounding space."""
    return name.isprintable() and name == name.strip()


def _usable(name: str) -> str:
    if not usable_name(name):
        raise ValueError(f"{name!r} holds a character that is not printable, or a space at either end")
    return name


# Names as people write them ("Flow Rate (l/min)", "Inlet-Pressure"): 1 to 64 printable
# characters (str.isprintable: no control, separator or format characters but the space),
# none of them a space at either end. The API takes them as given, as JSON keys and V2 input names.
Name = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_usable)]
Task = Literal["classification", "regression"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NumberFeature(_Strict):
    """A real-valued measurement with a plausible closed range."""

    name: Name
    kind: Literal["number"] = "number"
    min: float
    max: float
    nullable: bool = False
    description: str = ""

    @model_validator(mode="after")
    def _range_is_ordered(self) -> NumberFeature:
        if not (math.isfinite(self.min) and math.isfinite(self.max) and self.min < self.max):
            raise ValueError(f"feature {self.name!r}: min must be finite and below max")
        return self

    def problem(self, value: float) -> str | None:
        """Give the rule a number breaks, or None when it is allowed."""
        if not math.isfinite(value):
            return f"{value} is not a finite number"
        if not self.min <= value <= self.max:
            return f"{value:g} is outside the range [{self.min:g}, {self.max:g}]"
        return None


class CategoryFeature(_Strict):
    """A label from a closed set of categories."""

    name: Name
    kind: Literal["category"] = "category"
    categories: tuple[str, ...] = Field(min_length=1)
    nullable: bool = False
    description: str = ""

    @model_validator(mode="after")
    def _categories_are_unique(self) -> CategoryFeature:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"feature {self.name!r}: categories repeat")
        return self

    def problem(self, value: str) -> str | None:
        """Give the rule a category breaks, or None when it is allowed."""
        if value not in self.categories:
            return f"{value!r} is not one of {list(self.categories)}"
        return None


Feature = Annotated[Union[NumberFeature, CategoryFeature], Field(discriminator="kind")]


class Ratio(_Strict):
    """A derived feature: numerator / denominator of two number features."""

    name: Name
    numerator: Name
    denominator: Name


class InputSchema(_Strict):
    """The features a model takes, in order, and the features derived from them."""

    features: tuple[Feature, ...] = Field(min_length=1)
    ratios: tuple[Ratio, ...] = ()

    @model_validator(mode="after")
    def _names_resolve(self) -> InputSchema:
        names = [f.name for f in self.features] + [r.name for r in self.ratios]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"feature names repeat: {repeated}")
        numbers = {f.name for f in self.features if isinstance(f, NumberFeature)}
        for ratio in self.ratios:
            for part in (ratio.numerator, ratio.denominator):
                if part not in numbers:
                    raise ValueError(f"ratio {ratio.name!r}: {part!r} is not a number feature")
        return self

    def feature(self, name: str) -> Feature:
        """Give the declared feature called `name`."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Give the input feature names in declared order."""
        return tuple(f.name for f in self.features)

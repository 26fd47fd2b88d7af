"""The request model of POST /predict, generated from a bundle's declared input schema.

Strict: a number field takes a JSON number only (not "1", not true), within its
declared range and finite; a category takes one of its declared strings only
(not 1); null only where the feature is nullable; every feature is required,
and nothing else is allowed. The generated model is also what /docs shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from service.schema import CategoryFeature, Feature, InputSchema, NumberFeature

STRICT = ConfigDict(extra="forbid", strict=True)


def value_type(feature: Feature) -> Any:
    """Give the annotation of one feature's value: a bounded finite float, or a Literal of categories."""
    base: Any
    if isinstance(feature, NumberFeature):
        base = Annotated[float, Field(ge=feature.min, le=feature.max, allow_inf_nan=False)]
    else:
        base = Literal[feature.categories]  # a tuple subscript spreads into the literal's values
    return Optional[base] if feature.nullable else base


def value_adapter(feature: Feature) -> TypeAdapter[Any]:
    """Give a strict validator of one feature's value, for callers that check a column at a time."""
    return TypeAdapter(value_type(feature), config=ConfigDict(strict=True))


def example_value(feature: Feature) -> float | str:
    """Give a value the schema allows, for documentation: a range's midpoint or the first category."""
    if isinstance(feature, CategoryFeature):
        return feature.categories[0]
    return round((feature.min + feature.max) / 2, 1)


def example_instance(schema: InputSchema) -> dict[str, float | str]:
    """Give one record the schema allows, feature by feature."""
    return {f.name: example_value(f) for f in schema.features}


def _describe(feature: Feature) -> str:
    if isinstance(feature, NumberFeature):
        rule = f"A number in [{feature.min:g}, {feature.max:g}]"
    else:
        rule = "One of " + ", ".join(repr(c) for c in feature.categories)
    rule += "; null when unknown." if feature.nullable else "; required, never null."
    return f"{feature.description} {rule}".strip()


def _field_name(position: int) -> str:
    # Features keep their names as written ("Flow Rate (l/min)") in JSON, the OpenAPI
    # document and every error, through an alias; the attribute behind it is positional,
    # so no name can clash with pydantic's own (`json`, `model_config`, `copy`).
    return f"feature_{position}"


def instance_model(schema: InputSchema) -> type[BaseModel]:
    """Give the model of one record: one required field per declared feature, nothing else."""
    fields: dict[str, Any] = {
        _field_name(i): (value_type(f), Field(..., alias=f.name, title=f.name, description=_describe(f),
                                              examples=[example_value(f)]))
        for i, f in enumerate(schema.features)
    }
    return create_model("Instance", __config__=STRICT, **fields)


def instance_columns(instances: Sequence[BaseModel], schema: InputSchema) -> dict[str, list[Any]]:
    """Give validated instances (of `instance_model(schema)`) as columns keyed by feature name."""
    return {f.name: [getattr(row, _field_name(i)) for row in instances] for i, f in enumerate(schema.features)}


def request_model(schema: InputSchema, max_rows: int) -> type[BaseModel]:
    """Give the model of a POST /predict body: `instances`, 1 to `max_rows` records."""
    example: Any = {"instances": [example_instance(schema)]}
    config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [example]})
    instances: Any = (
        list[instance_model(schema)],  # type: ignore[misc]
        Field(..., min_length=1, max_length=max_rows, description=f"The records to predict, 1 to {max_rows}."),
    )
    return create_model("PredictRequest", __config__=config, instances=instances)

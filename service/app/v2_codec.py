"""V2 tensors to feature columns and back, checked a whole column at a time.

A column is accepted by the whole-column checks of service.app.columns; only
a column they decline is walked value by value, through the same strict
validators as POST /predict, so both APIs refuse a value with the same words.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from service.app.columns import Column
from service.app.problems import InvalidRecords, Problem
from service.app.served_model import ServedModel
from service.app.v2_types import InferenceRequest, MetadataTensor, ModelMetadata, RequestInput
from service.predictor import Predictions
from service.schema import Feature, NumberFeature

NUMBER_TYPES = ("FP32", "FP64")
CLASSIFIER_OUTPUTS = ("label", "probabilities")
REGRESSOR_OUTPUTS = ("value",)
PLATFORM = "onnxruntime_onnx"


def model_metadata(model: ServedModel) -> ModelMetadata:
    """Give the V2 metadata: one input per feature; outputs `label` and `probabilities`, or `value`."""
    inputs = [
        MetadataTensor(name=f.name, datatype="FP64", shape=[-1], parameters={"content_type": "np"})
        if isinstance(f, NumberFeature)
        else MetadataTensor(name=f.name, datatype="BYTES", shape=[-1], parameters={"content_type": "str"})
        for f in model.schema.features
    ]
    if not model.is_classifier:
        return ModelMetadata(name=model.name, versions=[model.version], platform=PLATFORM, inputs=inputs,
                             outputs=[MetadataTensor(name="value", datatype="FP32", shape=[-1])])
    outputs = [
        MetadataTensor(name="label", datatype="BYTES", shape=[-1], parameters={"content_type": "str"}),
        MetadataTensor(name="probabilities", datatype="FP32", shape=[-1, len(model.classes)]),
    ]
    return ModelMetadata(
        name=model.name, versions=[model.version], platform=PLATFORM, inputs=inputs, outputs=outputs,
        parameters={"classes": list(model.classes)},
    )


def output_names(model: ServedModel) -> tuple[str, ...]:
    """Give the names of the model's outputs, in the order an infer call answers them by default."""
    return CLASSIFIER_OUTPUTS if model.is_classifier else REGRESSOR_OUTPUTS


def columns_of(request: InferenceRequest, model: ServedModel) -> dict[str, Column]:
    """Give one validated column per feature; raise InvalidRecords listing every problem."""
    problems: list[Problem] = []
    by_name: dict[str, tuple[int, RequestInput]] = {}
    for i, tensor in enumerate(request.inputs):
        if tensor.name not in model.adapters:
            problems.append(Problem(("body", "inputs", i, "name"), f"{tensor.name!r} is not an input of this model; "
                                    f"its inputs are {list(model.schema.names)}", "unknown_input", "inputs"))
        elif tensor.name in by_name:
            problems.append(Problem(("body", "inputs", i, "name"), f"input {tensor.name!r} appears twice",
                                    "duplicate_input", tensor.name))
        else:
            by_name[tensor.name] = (i, tensor)
    for name in model.schema.names:
        if name not in by_name:
            problems.append(Problem(("body", "inputs"), f"input {name!r} is missing", "missing", name))
    rows = {tensor.shape[0] for _, tensor in by_name.values() if tensor.shape}
    columns: dict[str, Column] = {}
    for name, (i, tensor) in by_name.items():
        column = _column(model.schema.feature(name), i, tensor, model, problems)
        if column is not None:
            columns[name] = column
    if len(rows) > 1:
        problems.append(Problem(("body", "inputs"), f"inputs hold different numbers of rows: {sorted(rows)}",
                                "shape_mismatch", "inputs"))
    outputs = output_names(model)
    for i, output in enumerate(request.outputs or ()):
        if output.name not in outputs:
            problems.append(Problem(("body", "outputs", i, "name"), f"{output.name!r} is not an output of this model; "
                                    f"its outputs are {list(outputs)}", "unknown_output", "outputs"))
    if problems:
        raise InvalidRecords(problems)
    return columns


def _column(
    feature: Feature, i: int, tensor: RequestInput, model: ServedModel, problems: list[Problem]
) -> Column | None:
    """Give the tensor's values as a flat column, or None after adding its problems."""
    name, where, max_rows = feature.name, ("body", "inputs", i), model.max_rows
    allowed = NUMBER_TYPES if isinstance(feature, NumberFeature) else ("BYTES",)
    found = len(problems)
    if tensor.datatype not in allowed:
        problems.append(Problem((*where, "datatype"), f"{name}: datatype {tensor.datatype!r} does not fit; "
                                f"send {' or '.join(allowed)}", "datatype", name))
    shape = tensor.shape
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        problems.append(Problem((*where, "shape"), f"{name}: shape {shape} is not [n] or [n, 1]", "shape", name))
    elif not 1 <= shape[0] <= max_rows:
        problems.append(Problem((*where, "shape"), f"{name}: {shape[0]} rows; send 1 to {max_rows}",
                                "too_short" if shape[0] < 1 else "too_long", name))
    data = tensor.data
    if len(shape) == 2 and all(isinstance(v, list) and len(v) == 1 for v in data):
        data = [v[0] for v in data]  # [[x], [y]] is the nested form of shape [n, 1]
    if shape and len(data) != shape[0]:
        problems.append(Problem((*where, "data"), f"{name}: data holds {len(data)} values, its shape says "
                                f"{shape[0]}", "shape_mismatch", name))
    if len(problems) > found:
        return None
    column = model.checks[name].accept(data)
    if column is not None:
        return column
    adapter = model.adapters[name]
    for j, value in enumerate(data):
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            problems.extend(Problem((*where, "data", j), f"{name}: {e['msg']}", e["type"], name)
                            for e in exc.errors(include_url=False))
    # The whole-column checks may only decline; the value validators decide.
    return data if len(problems) == found else None


def outputs_of(answer: Predictions, model: ServedModel, requested: list[str] | None) -> list[dict[str, Any]]:
    """Give the requested outputs (default all), data flattened row-major."""
    if answer.indices is None:
        # Left as float32 for orjson, as the probabilities below.
        return [{"name": "value", "datatype": "FP32", "shape": [len(answer.outputs)], "data": answer.outputs}]
    n, k = answer.outputs.shape
    tensors: dict[str, dict[str, Any]] = {
        "label": {"name": "label", "datatype": "BYTES", "shape": [n], "parameters": {"content_type": "str"},
                  "data": model.class_names[answer.indices].tolist()},
        # Left as float32 for orjson: the shortest text that reads back as the same FP32 value.
        "probabilities": {"name": "probabilities", "datatype": "FP32", "shape": [n, k],
                          "data": answer.outputs.ravel()},
    }
    return [tensors[name] for name in (requested or CLASSIFIER_OUTPUTS)]

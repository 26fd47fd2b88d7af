"""The project's declared behavioural checks, one test each, through the served inference path."""

import pytest

from service.train.checks import run_check
from service.train.gate import predict_records

pytestmark = pytest.mark.model


def test_declared_check(check, config, predictor):
    # `check` is a declared check's index, from the project file (see conftest's pytest_generate_tests).
    declared = config.checks.all[check]
    problem = run_check(config.project, config.checks, declared, predict_records(config, predictor))
    assert problem is None, f"{declared.name}: {problem}"

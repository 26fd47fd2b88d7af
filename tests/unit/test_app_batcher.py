"""Micro-batching: requests waiting in the same loop turn share one model call, each gets its own rows."""

import asyncio

import numpy as np
import pytest

from service.app.model import MicroBatcher
from service.predictor import Predictions

pytestmark = pytest.mark.unit


class Model:
    """A stand-in model: the label is the row's x, the probabilities [x, -x]; it records each call.

    As a regressor it answers no labels, and the value -x.
    """

    def __init__(self, fail=False, regressor=False):
        self.calls = []
        self.fail = fail
        self.regressor = regressor

    def __call__(self, columns):
        self.calls.append(list(columns["x"]))
        if self.fail:
            raise RuntimeError("model broke")
        x = np.array(columns["x"])
        if self.regressor:
            return Predictions(None, (-x).astype(np.float32))
        return Predictions(x.astype(np.int64), np.stack([x, -x], axis=1).astype(np.float32))


def run_together(batcher, *requests):
    async def together():
        return await asyncio.gather(*(batcher.predict({"x": rows}, len(rows)) for rows in requests),
                                    return_exceptions=True)

    return asyncio.run(together())


def test_requests_in_the_same_turn_share_one_call_and_get_their_own_rows():
    model = Model()
    answers = run_together(MicroBatcher(model, ["x"], max_rows=4), [1], [2, 3], [4])
    assert model.calls == [[1, 2, 3, 4]]
    assert [a.indices.tolist() for a in answers] == [[1], [2, 3], [4]]
    assert [a.outputs.tolist() for a in answers] == [[[1, -1]], [[2, -2], [3, -3]], [[4, -4]]]


def test_a_regressors_values_are_shared_out_the_same_way():
    model = Model(regressor=True)
    answers = run_together(MicroBatcher(model, ["x"], max_rows=4), [1], [2, 3], [4])
    assert model.calls == [[1, 2, 3, 4]]
    assert [(a.indices, a.outputs.tolist()) for a in answers] == [(None, [-1]), (None, [-2, -3]), (None, [-4])]


def test_a_request_alone_is_called_alone():
    model = Model()
    [answer] = run_together(MicroBatcher(model, ["x"], max_rows=4), [7])
    assert (model.calls, answer.indices.tolist()) == ([[7]], [7])


def test_a_large_request_skips_the_queue():
    model = Model()
    answers = run_together(MicroBatcher(model, ["x"], max_rows=2), [1, 2, 3], [4])
    assert model.calls == [[1, 2, 3], [4]]
    assert [a.indices.tolist() for a in answers] == [[1, 2, 3], [4]]


def test_a_failed_call_fails_every_request_that_shared_it():
    answers = run_together(MicroBatcher(Model(fail=True), ["x"], max_rows=4), [1], [2])
    assert [str(a) for a in answers] == ["model broke", "model broke"]


def test_a_cancelled_request_does_not_disturb_the_others():
    model = Model()
    batcher = MicroBatcher(model, ["x"], max_rows=4)

    async def one_gives_up():
        first = asyncio.ensure_future(batcher.predict({"x": [1]}, 1))
        second = asyncio.ensure_future(batcher.predict({"x": [2]}, 1))
        await asyncio.sleep(0)  # both are waiting now
        first.cancel()
        return await second

    assert asyncio.run(one_gives_up()).indices.tolist() == [2]
    assert model.calls == [[1, 2]]

"""Task generators: pure and seeded, shaped as documented, with the documented chance baselines."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from lstm_bench.stability.tasks import (
    PLURAL_NOUNS,
    SINGULAR_NOUNS,
    TASKS,
    VOCABULARY,
    AddingProblem,
    CopyMemory,
    FirstSymbolRecall,
    NumberAgreement,
    make_task,
)


@given(name=st.sampled_from(sorted(TASKS)), horizon=st.integers(2, 60), seed=st.integers(0, 2**40))
def test_same_seed_same_batch_other_seed_other_batch(name: str, horizon: int, seed: int) -> None:
    task = make_task(name, horizon)
    a, b, c = task.sample(16, seed), task.sample(16, seed), task.sample(16, seed + 1)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert a.inputs.shape == (task.steps, 16, task.input_size)
    assert a.inputs.dtype == torch.float32
    assert not (torch.equal(a.inputs, c.inputs) and torch.equal(a.targets, c.targets))


def test_recall_target_is_the_first_symbol_and_uniform_guessing_is_the_baseline() -> None:
    task = FirstSymbolRecall(50)
    batch = task.sample(4000, 3)
    assert torch.equal(batch.targets, batch.inputs[0].argmax(-1))
    assert bool((batch.inputs.sum(-1) == 1).all())  # one-hot
    uniform = torch.zeros(4000, 8)
    assert float(task.loss(uniform, batch)) == pytest.approx(math.log(8), rel=1e-6)
    assert task.chance_accuracy == 1 / 8
    counts = torch.bincount(batch.targets, minlength=8).float() / 4000
    assert float((counts - 1 / 8).abs().max()) < 0.03
    oracle = F.one_hot(batch.targets, 8).float() * 10
    assert task.accuracy(oracle, batch) == 1.0 and task.solved(float(task.loss(oracle, batch)), 1.0)


@pytest.mark.parametrize("horizon", [10, 100])
def test_copy_memory_layout_and_memoryless_baseline(horizon: int) -> None:
    task = CopyMemory(horizon)
    batch = task.sample(64, 0)
    tokens = batch.inputs.argmax(-1)  # (T + 20, B)
    assert task.steps == horizon + 20
    assert bool(((tokens[:10] >= 1) & (tokens[:10] <= 8)).all())
    assert bool((tokens[10 : horizon + 9] == 0).all())  # T - 1 blanks
    assert bool((tokens[horizon + 9] == 9).all())  # the delimiter
    assert bool((tokens[horizon + 10 :] == 0).all())
    assert torch.equal(batch.targets[-10:], tokens[:10])
    assert bool((batch.targets[:-10] == 0).all())
    # The memoryless strategy: blank with certainty, then uniform over the 8 symbols.
    logits = torch.full((task.steps, 64, 9), -1e9)
    logits[: horizon + 10, :, 0] = 0.0
    logits[horizon + 10 :, :, 1:] = 0.0
    assert float(task.loss(logits, batch)) == pytest.approx(10 * math.log(8) / (horizon + 20), rel=1e-5)
    assert task.baseline_loss == pytest.approx(10 * math.log(8) / (horizon + 20))
    assert task.accuracy(F.one_hot(batch.targets, 9).float(), batch) == 1.0


def test_adding_problem_markers_and_mean_prediction_baseline() -> None:
    task = AddingProblem(40)
    batch = task.sample(20_000, 1)
    values, markers = batch.inputs[..., 0], batch.inputs[..., 1]
    assert bool((markers.sum(0) == 2).all())
    assert bool((markers[:20].sum(0) == 1).all()) and bool((markers[20:].sum(0) == 1).all())  # one per half
    torch.testing.assert_close(batch.targets, (values * markers).sum(0))
    mse = float(task.loss(torch.ones(20_000, 1), batch))
    assert task.baseline_loss == pytest.approx(1 / 6)
    # (U1 + U2 - 1)² has standard deviation sqrt(1/15 - 1/36) = 0.197: allow 4 standard errors.
    assert abs(mse - 1 / 6) < 4 * 0.197 / math.sqrt(20_000)
    assert task.accuracy(batch.targets.unsqueeze(-1), batch) == 1.0
    hit_rate = task.accuracy(torch.ones(20_000, 1), batch)
    assert abs(hit_rate - task.chance_accuracy) < 0.01


def _decode(column: torch.Tensor) -> list[str]:
    return [VOCABULARY[i] for i in column.argmax(-1).tolist()]


@pytest.mark.parametrize("distance", [2, 5, 30])
def test_agreement_sentences_subject_verb_and_attractors(distance: int) -> None:
    task = NumberAgreement(distance)
    batch = task.sample(200, 7)
    assert batch.attractors is not None
    for b in range(200):
        words = _decode(batch.inputs[:, b])
        assert len(words) == distance + 2
        assert words[0] == "the" and words[-1] == "<verb>"
        subject_plural = words[1] in PLURAL_NOUNS
        assert words[1] in SINGULAR_NOUNS + PLURAL_NOUNS
        assert int(batch.targets[b]) == int(subject_plural)  # 1 = "were"
        between = words[2:-1]
        nouns = [w for w in between if w in SINGULAR_NOUNS + PLURAL_NOUNS]
        assert len(nouns) <= task.max_nouns
        assert int(batch.attractors[b]) == sum((w in PLURAL_NOUNS) != subject_plural for w in nouns)
    assert task.chance_accuracy == 0.5 and task.baseline_loss == pytest.approx(math.log(2))
    assert float(task.loss(torch.zeros(200, 2), batch)) == pytest.approx(math.log(2), rel=1e-6)


def test_agreement_accuracy_by_attractors() -> None:
    task = NumberAgreement(20)
    batch = task.sample(500, 0)
    assert batch.attractors is not None
    always_plural = torch.tensor([[0.0, 1.0]]).expand(500, 2)
    table = task.accuracy_by_attractors(always_plural, batch)
    assert set(table) <= {0, 1, 2, 3} and 0 in table
    for k, accuracy in table.items():
        expected = float((batch.targets[batch.attractors == k] == 1).float().mean())
        assert accuracy == pytest.approx(expected)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        make_task("nope", 10)
    with pytest.raises(ValueError, match="horizon must be >= 2"):
        make_task("recall", 1)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        make_task("copy", 10).sample(0, 0)


def test_solved_means_accuracy_target_or_loss_below_one_percent_of_baseline() -> None:
    task = AddingProblem(10)
    assert not task.solved(0.5 * task.baseline_loss, 0.5)
    assert task.solved(0.009 * task.baseline_loss, 0.2)
    assert task.solved(1.0, 0.99)

"""Continual-learning metrics on hand-computed accuracy matrices."""

import numpy as np
import pytest

from neuromorph.analysis.continual_metrics import (average_accuracy, backward_transfer, continual_summary,
                                                   forgetting, forward_transfer)

R = np.array([[0.9, 0.2, 0.1],
              [0.6, 0.8, 0.3],
              [0.5, 0.7, 0.95]])
B = np.array([0.1, 0.1, 0.1])


def test_average_accuracy_is_the_mean_of_the_last_row():
    assert average_accuracy(R) == pytest.approx((0.5 + 0.7 + 0.95) / 3)


def test_backward_transfer_compares_final_with_just_learned():
    assert backward_transfer(R) == pytest.approx(((0.5 - 0.9) + (0.7 - 0.8)) / 2)


def test_forward_transfer_compares_before_learning_with_the_untrained_baseline():
    assert forward_transfer(R, B) == pytest.approx(((0.2 - 0.1) + (0.3 - 0.1)) / 2)


def test_forgetting_uses_the_best_earlier_accuracy():
    r = R.copy()
    r[1, 0] = 0.95  # the best accuracy on task 0 came after task 1
    assert forgetting(r) == pytest.approx(((0.95 - 0.5) + (0.8 - 0.7)) / 2)


def test_no_forgetting_without_interference():
    r = np.tril(np.full((4, 4), 0.9)) + np.triu(np.full((4, 4), 0.1), 1)
    s = continual_summary(r, np.full(4, 0.1))
    assert s["backward_transfer"] == 0.0 and s["forgetting"] == 0.0 and s["average_accuracy"] == pytest.approx(0.9)


def test_non_square_matrix_is_refused():
    with pytest.raises(ValueError, match="square"):
        average_accuracy(np.zeros((2, 3)))

"""The published "protocol 2" stream and its probe schedule (Ji-An et al. 2023, authors'
``build_dataset_protocol_during_training`` and ``get_test_time_point``).

After a burn-in of B items (own stream) the test phase stores, in order,

    positions 0 … H−1          the first half of the 2H test items (familiar probes)
    positions H … H+F−1        F fill-in items
    positions H+F … 2H+F−1     the second half of the test items

Probe ages L = blocks of ``block`` ages at spacing 1, 2, 4, …: 0…9, 10, 12, …, 28, 30, 34, …,
all < F. A probe "at position τ" reads the network right after the item at τ is stored (and its
dynamics step), so the item stored at s has age t at position s + t. Familiar item s (< H) is
probed at ages L, and the never-seen item s at the same moments; second-half item H + j is probed
before it is stored, at positions H + F + j − L − 1 ("pre-storage": a never-seen item that will
be stored later, as in the authors' code).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["probe_ages", "ProbeSchedule", "protocol2_schedule"]

FAMILIAR, NOVEL, PRESTORAGE = 0, 1, 2
KINDS = ("familiar", "novel", "prestorage")


def probe_ages(max_age: int, block: int = 10) -> np.ndarray:
    """Blocks of ``block`` ages at spacing 1, 2, 4, … (authors' log test points), all < max_age."""
    ages = []
    start, level = 0, 0
    while True:
        ages.append(np.arange(start, start + block * 2**level, 2**level))
        start += block * 2**level
        level += 1
        if start > max_age:
            break
    ages = np.concatenate(ages)
    return ages[ages < max_age]


@dataclass(frozen=True)
class ProbeSchedule:
    """times: sorted unique test-phase positions with probes; for probe time index p, the probes are
    rows ``start[p]:start[p+1]`` of (kind, item, age_index)."""

    half: int
    fill_in: int
    ages: np.ndarray
    times: np.ndarray
    start: np.ndarray
    kind: np.ndarray
    item: np.ndarray
    age_index: np.ndarray

    @property
    def length(self) -> int:
        """Items in the test phase (2H + F)."""
        return 2 * self.half + self.fill_in


def protocol2_schedule(half: int, fill_in: int, block: int = 10) -> ProbeSchedule:
    """The probe schedule of protocol 2 for H = ``half`` familiar items and F = ``fill_in``."""
    ages = probe_ages(fill_in, block)
    s = np.arange(half)
    a = np.arange(ages.size)
    fam_t = (s[:, None] + ages[None, :]).ravel()
    fam_s = np.repeat(s, ages.size)
    fam_a = np.tile(a, half)
    pre_t = (half + fill_in + s[:, None] - ages[None, :] - 1).ravel()
    times = np.concatenate([fam_t, fam_t, pre_t])
    kind = np.concatenate([np.full(fam_t.size, FAMILIAR), np.full(fam_t.size, NOVEL), np.full(pre_t.size, PRESTORAGE)])
    item = np.concatenate([fam_s, fam_s, fam_s])
    age_index = np.concatenate([fam_a, fam_a, fam_a])
    order = np.lexsort((item, kind, times))
    times, kind, item, age_index = times[order], kind[order], item[order], age_index[order]
    unique, start = np.unique(times, return_index=True)
    start = np.concatenate([start, [times.size]])
    return ProbeSchedule(half=half, fill_in=fill_in, ages=ages, times=unique, start=start, kind=kind,
                         item=item, age_index=age_index)

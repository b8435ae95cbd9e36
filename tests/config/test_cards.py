"""Device cards: every shipped card loads; bad cards give one clear message per problem that
names the file, the line, the field path, the value and what was expected."""

import textwrap
from pathlib import Path

import pytest

from neuromorph.config.yamlio import ConfigError
from neuromorph.devices.loader import load_device

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "devices").glob("*.yaml"))


def test_required_cards_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert {"benna_fusi_m8", "benna_fusi_m12", "proton_transistor_1", "proton_transistor_3",
            "proton_transistor_5", "single_timescale", "binary_stochastic", "cascade"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_card_loads(path):
    device = load_device(path)
    assert device.name


def test_base_card_is_extended_and_overridden():
    m12 = load_device(ROOT / "devices/benna_fusi_m12.yaml")
    m8 = load_device(ROOT / "devices/benna_fusi_m8.yaml")
    assert m12.chain.n_variables == 12 and m8.chain.n_variables == 8
    # inherited geometric series: C_k = 2^(k-1), g_k = 0.25·2^-(k-1)
    assert m12.chain.capacities[11] == 2.0**11
    assert m12.chain.couplings[11] == pytest.approx(0.25 * 0.5**11)


def _card(tmp_path: Path, text: str, name: str = "card.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_device(path)
    return info.value.problems


GOOD_PT = """\
    kind: proton_transistor
    compartments: 3
    diffusion_coefficient: 1e-13 m^2/s
    diffusion_length: 2 um
    bridge_cross_section: 1 um^2
    gate: {injection_conductance: 1 nS}
    channel: {g_min: 1 uS, g_max: 10 uS}
"""


def test_minimal_proton_transistor_card_is_valid(tmp_path):
    device = load_device(_card(tmp_path, GOOD_PT))
    # geometry capacity: C = c_v·A·L with the default c_v = 40 F/cm^3
    assert device.chain.capacities[0] == pytest.approx(4e7 * 1e-12 * 2e-6)


@pytest.mark.parametrize(
    "replace, line, field, fragment",
    [
        (("diffusion_length: 2 um", "diffusion_length: 0 um"), 4, "diffusion_length", "must be > 0"),
        (("diffusion_length: 2 um", "diffusion_length: -2 um"), 4, "diffusion_length", "got '-2 um'"),
        (("compartments: 3", "compartments: 0"), 2, "compartments", "greater than or equal to 1"),
        (("compartments: 3", "compartments: three"), 2, "compartments", "valid integer"),
        (("diffusion_coefficient: 1e-13 m^2/s", "diffusion_coefficient: 1e-13 m"), 3,
         "diffusion_coefficient", "expected diffusion coefficient"),
        (("bridge_cross_section: 1 um^2", "bridge_cross_section: 1 parsec^2"), 5,
         "bridge_cross_section", "unknown unit 'parsec'"),
        (("gate: {injection_conductance: 1 nS}", "gate: {injection_conductance: 1 nS, widht: 1 ms}"), 6,
         "gate.widht", "unknown field; expected one of: amplitude"),
        (("channel: {g_min: 1 uS, g_max: 10 uS}", "channel: {g_min: 1 uS, g_max: 0.5 uS}"), 7,
         "channel", "g_max"),
        (("channel: {g_min: 1 uS, g_max: 10 uS}\n", ""), 1, "channel", "required field is missing"),
    ],
)
def test_bad_field_names_file_line_field_and_expectation(tmp_path, replace, line, field, fragment):
    path = _card(tmp_path, GOOD_PT.replace(*replace) if replace[1] else GOOD_PT.replace(replace[0], ""))
    problems = _errors(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: {field}:"), problems[0]
    assert fragment in problems[0]


def test_negative_capacity_in_a_list_names_the_entry(tmp_path):
    path = _card(tmp_path, GOOD_PT + "    capacity: {capacitance: [1 nF, -2 nF, 3 nF]}\n")
    (problem,) = _errors(path)
    assert f"{path}:8: capacity.capacitance:" in problem and "entry [1]" in problem


def test_wrong_list_length_says_how_many_were_expected(tmp_path):
    path = _card(tmp_path, GOOD_PT.replace("diffusion_length: 2 um", "diffusion_length: [1 um, 2 um]"))
    (problem,) = _errors(path)
    assert "expected 3 entries" in problem


def test_unknown_kind_lists_the_known_kinds(tmp_path):
    (problem,) = _errors(_card(tmp_path, "kind: benna_fuzzy\n"))
    assert ":1: kind: unknown kind 'benna_fuzzy'" in problem and "'benna_fusi'" in problem


def test_benna_fusi_with_no_variables_is_refused(tmp_path):
    (problem,) = _errors(_card(tmp_path, """\
        kind: benna_fusi
        n_variables: 0
        capacities: 1
        couplings: 0.25
    """))
    assert ":2: n_variables:" in problem


def test_duplicate_keys_are_refused(tmp_path):
    (problem,) = _errors(_card(tmp_path, "kind: cascade\nn_levels: 3\nn_levels: 4\n"))
    assert ":3: n_levels: duplicate key" in problem


def test_malformed_yaml_names_the_line(tmp_path):
    (problem,) = _errors(_card(tmp_path, "kind: cascade\nn_levels: [3\n"))
    assert "not valid YAML" in problem and str(tmp_path) in problem


def test_error_in_base_card_points_into_the_base_file(tmp_path):
    base = _card(tmp_path, GOOD_PT.replace("compartments: 3", "compartments: -1"), "base.yaml")
    child = _card(tmp_path, "base: base.yaml\nname: child\n", "child.yaml")
    (problem,) = _errors(child)
    assert problem.startswith(f"{base}:2: compartments:")


def test_base_cycle_is_refused(tmp_path):
    _card(tmp_path, "base: b.yaml\n", "a.yaml")
    _card(tmp_path, "base: a.yaml\n", "b.yaml")
    (problem,) = _errors(tmp_path / "a.yaml")
    assert "cycle" in problem


def test_missing_file_is_a_clear_error(tmp_path):
    (problem,) = _errors(tmp_path / "nope.yaml")
    assert "file not found" in problem

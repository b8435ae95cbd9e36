"""Hostile card files are refused with the file (and line) named, quickly and without a traceback:
binary bytes, other encodings, directories, symlink loops, non-mapping YAML, alias bombs,
recursive aliases, deep nesting; and errors point at the line of the field they are about."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from neuromorph.config.device_schema import DeviceCard
from neuromorph.config.yamlio import ConfigError, MAX_EXPANDED_NODES, load_card, read_card

ROOT = Path(__file__).resolve().parents[2]


def _refused(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        read_card(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    return message


def test_binary_file_is_named_and_refused(tmp_path):
    card = tmp_path / "image.yaml"
    card.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary file" in _refused(card)


def test_non_utf8_text_names_the_line_and_the_byte(tmp_path):
    card = tmp_path / "latin1.yaml"
    card.write_bytes("kind: benna_fusi\nname: d\u00e9j\u00e0\n".encode("latin-1"))
    message = _refused(card)
    assert message.startswith(f"{card}:2: not UTF-8 text (byte 0xe9")


def test_utf16_card_is_refused_as_not_utf8(tmp_path):
    card = tmp_path / "utf16.yaml"
    card.write_bytes("kind: benna_fusi\n".encode("utf-16"))
    message = _refused(card)
    assert "not UTF-8" in message or "binary file" in message


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    card = tmp_path / "bom.yaml"
    card.write_bytes(b"\xef\xbb\xbf" + (ROOT / "devices/benna_fusi_m8.yaml").read_bytes())
    assert read_card(card).data["kind"] == "benna_fusi"


def test_directory_is_refused(tmp_path):
    (tmp_path / "cards.yaml").mkdir()
    assert "is a directory" in _refused(tmp_path / "cards.yaml")


def test_symlink_loop_is_refused(tmp_path):
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    assert "cannot read file" in _refused(tmp_path / "a.yaml")


@pytest.mark.parametrize("text, got", [("- 1\n- 2\n", "got a list"), ("just text\n", "got a single text value"),
                                        ("42\n", "got a number"), ("", "the card is empty"),
                                        ("# only a comment\n", "the card is empty")])
def test_top_level_must_be_a_mapping(tmp_path, text, got):
    card = tmp_path / "card.yaml"
    card.write_text(text)
    assert got in _refused(card)


def test_alias_bomb_is_refused_quickly(tmp_path):
    """Ten levels of ten aliases each would expand to 10^10 values."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    card = tmp_path / "bomb.yaml"
    card.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    message = _refused(card)
    assert time.perf_counter() - start < 1.0  # linear in the distinct nodes, not in the expansion
    assert f"more than {MAX_EXPANDED_NODES:,} values" in message


def test_modest_aliases_and_merge_keys_still_work(tmp_path):
    card = tmp_path / "merge.yaml"
    card.write_text("kind: benna_fusi\nn_variables: 4\ncapacities: &series {first: 1.0, ratio: 2.0}\n"
                    "couplings:\n  <<: *series\n  first: 0.25\n  ratio: 0.5\n")
    device = load_card(card, DeviceCard)
    assert device.n_variables == 4


def test_recursive_alias_is_refused(tmp_path):
    card = tmp_path / "loop.yaml"
    card.write_text("kind: benna_fusi\nself: &a [1, *a]\n")
    assert "refers to the node that contains it" in _refused(card)


def test_deep_nesting_is_refused(tmp_path):
    card = tmp_path / "deep.yaml"
    card.write_text("a: " + "[" * 3000 + "]" * 3000 + "\n")
    message = _refused(card)
    assert "nested" in message


def test_malformed_yaml_names_the_line_and_where_the_construct_began(tmp_path):
    card = tmp_path / "bad.yaml"
    card.write_text("kind: benna_fusi\nn_variables: [1, 2\nleak: true\n")
    message = _refused(card)
    assert message.startswith(f"{card}:3: not valid YAML") and "starts at line 2" in message


def test_a_list_as_a_key_is_refused(tmp_path):
    card = tmp_path / "key.yaml"
    card.write_text("kind: benna_fusi\n? [a, b]\n: 1\n")
    _refused(card)


def _device_card(tmp_path, capacitance: str) -> Path:
    text = (ROOT / "devices/proton_transistor_5.yaml").read_text()
    text = text.replace("  volume: {first: 2 um^3, ratio: 2.0}", f"  capacitance: {capacitance}")
    card = tmp_path / "pt.yaml"
    card.write_text(text)
    return card


def _line_of(card: Path, needle: str) -> int:
    return next(i for i, line in enumerate(card.read_text().splitlines(), 1) if needle in line)


def test_wrong_length_list_is_reported_at_its_own_line(tmp_path):
    card = _device_card(tmp_path, "[1 nF, 2 nF, 3 nF]")
    with pytest.raises(ConfigError) as info:
        load_card(card, DeviceCard)
    line = _line_of(card, "capacitance: [1 nF")
    assert str(info.value).startswith(f"{card}:{line}: capacity.capacitance: expected 5 entries")


def test_overflowing_geometric_series_is_reported_at_the_field_that_overflows(tmp_path):
    card = _device_card(tmp_path, "{first: 1 nF, ratio: 1e300}")
    with pytest.raises(ConfigError) as info:
        load_card(card, DeviceCard)
    line = _line_of(card, "capacitance: {first")
    assert str(info.value).startswith(f"{card}:{line}: capacity.capacitance: the geometric series")
    assert "overflows at element k = 3 of 5" in str(info.value)


def test_several_bad_cards_are_all_reported(run_cli, tmp_path):
    (tmp_path / "a.yaml").write_text("- not a mapping\n")
    (tmp_path / "b.yaml").write_bytes(b"\x00\x01")
    code, _, err = run_cli("memory", tmp_path / "a.yaml", ROOT / "devices/benna_fusi_m8.yaml", tmp_path / "b.yaml",
                           "-o", tmp_path / "m", "-q")
    assert code == 2
    assert f"{tmp_path / 'a.yaml'}:1:" in err and f"{tmp_path / 'b.yaml'}: a binary file" in err


def test_proton_transistor_bounds_accept_voltage_units(tmp_path):
    text = (ROOT / "devices/proton_transistor_5.yaml").read_text().replace(
        "\nleak: true", "\nleak: true\nbounds: {lower: -200 mV, upper: 0.3 V}")
    card = tmp_path / "pt.yaml"
    card.write_text(text)
    bounds = load_card(card, DeviceCard).bounds
    assert (bounds.lower, bounds.upper) == pytest.approx((-0.2, 0.3))
    card.write_text(text.replace("-200 mV", "-1 s"))
    with pytest.raises(ConfigError, match=r"bounds.lower: '-1 s' has dimension time"):
        load_card(card, DeviceCard)


def test_simulate_reports_a_bad_device_and_a_bad_protocol_together(run_cli, tmp_path):
    (tmp_path / "device.yaml").write_text("kind: benna_fusi\n")
    (tmp_path / "protocol.yaml").write_text("kind: protocol\nsegments: []\n")
    code, _, err = run_cli("simulate", tmp_path / "device.yaml", "-p", tmp_path / "protocol.yaml", "-o", tmp_path / "s")
    assert code == 2
    assert f"{tmp_path / 'device.yaml'}:1:" in err and f"{tmp_path / 'protocol.yaml'}:2: segments" in err

"""The `neuromorph fit` command: the documented example runs offline, writes card + netCDF + PNG,
and bad input gets one clear message with exit status 2 before any work."""

import shutil
from pathlib import Path

import xarray as xr

from neuromorph.devices.loader import load_device

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "devices/zhang2024_pedot_nafion_4.yaml"
DATA = ROOT / "devices/measurements/zhang2024_synthetic.csv"
FREE = "diffusion_coefficient,bridge_cross_section.ratio,gate.injection_conductance,channel.g_min"


def test_documented_example_writes_card_netcdf_and_figure(run_cli, tmp_path):
    out = tmp_path / "zhang2024_fitted.yaml"
    code, stdout, stderr = run_cli("fit", CARD, DATA, "--free", FREE, "-o", out, "--results", tmp_path / "fit")
    assert code == 0, stderr
    assert "diffusion_coefficient" in stdout and "95% interval" in stdout and "correlations:" in stdout
    assert out.exists() and (tmp_path / "fit.nc").exists() and (tmp_path / "fit.png").exists()
    device = load_device(out)  # the fitted card loads through its base: chain
    truth = {"diffusion_coefficient": 1.3e-9, "bridge_cross_section.ratio": 0.45,
             "gate.injection_conductance": 1.6e-7, "channel.g_min": 5.2e-4}  # the data's generator
    ds = xr.open_dataset(tmp_path / "fit.nc")
    for path, value in truth.items():
        row = ds.sel(parameter=path)
        assert float(row.ci95_low) <= value <= float(row.ci95_high), path
    assert device.card.gate.injection_conductance == float(ds.sel(parameter="gate.injection_conductance").value)
    code, stdout, _ = run_cli("fit", CARD, DATA, "--free", FREE, "-o", out, "--results", tmp_path / "fit", "--no-plot")
    assert code == 0 and "(replaced the previous file)" in stdout


def test_unknown_free_field_is_one_message_exit_2(run_cli, tmp_path):
    code, _, stderr = run_cli("fit", CARD, DATA, "--free", "diffusion_coef", "-o", tmp_path / "f.yaml")
    assert code == 2
    assert "--free diffusion_coef: unknown field 'diffusion_coef' of a proton_transistor card" in stderr
    assert "Traceback" not in stderr and not (tmp_path / "f.yaml").exists()


def test_bad_data_names_file_line_and_column(run_cli, tmp_path):
    shutil.copy(DATA.with_suffix(".yaml"), tmp_path / "d.yaml")
    lines = DATA.read_text().splitlines()
    lines[6] = lines[6].rsplit(",", 1)[0] + ",nan"
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    code, _, stderr = run_cli("fit", CARD, tmp_path / "d.csv", "--free", "diffusion_coefficient", "-o", tmp_path / "f.yaml")
    assert code == 2 and f"{tmp_path / 'd.csv'}:7: column 3 (current): not a finite number" in stderr


def test_output_over_the_base_card_and_non_yaml_output_are_refused(run_cli, tmp_path):
    code, _, stderr = run_cli("fit", CARD, DATA, "--free", "diffusion_coefficient", "-o", CARD)
    assert code == 2 and "would overwrite the base card" in stderr
    code, _, stderr = run_cli("fit", CARD, DATA, "--free", "diffusion_coefficient", "-o", tmp_path / "f.txt")
    assert code == 2 and "must be a .yaml file" in stderr


def test_help_has_an_example(run_cli):
    code, stdout, _ = run_cli("fit", "--help")
    assert code == 0 and "neuromorph fit devices/zhang2024_pedot_nafion_4.yaml" in stdout

"""Measured-data files (CSV + YAML sidecar): what is read, and one clear message per problem naming
the file, the line and the column."""

import numpy as np
import pytest

from neuromorph.config.measurement_schema import load_measurement
from neuromorph.errors import ConfigError, NeuromorphError

SIDECAR = """kind: measurement
description: test
traces:
  ramp:
    drive:
      - square_wave: {amplitude: 1 V, frequency: 1 Hz, on_fraction: 0.5, count: 3}
  relax:
    drive:
      - pulses: [{time: 0 s, amplitude: -1 V, width: 500 ms}]
"""
GOOD = """# synthetic test data
trace,time [s],conductance [uS]
ramp,0.5,100.0
ramp,1.5,101.0
ramp,2.5,102.0
relax,1,99.0
relax,10,99.5

relax,100,99.9
"""


def write(tmp_path, csv_text, sidecar=SIDECAR, name="data"):
    (tmp_path / f"{name}.yaml").write_text(sidecar)
    path = tmp_path / f"{name}.csv"
    path.write_text(csv_text)
    return path


def error_of(tmp_path, csv_text, sidecar=SIDECAR) -> str:
    with pytest.raises(ConfigError) as info:
        load_measurement(write(tmp_path, csv_text, sidecar))
    assert isinstance(info.value, NeuromorphError)  # the CLI prints it and exits 2
    return str(info.value)


def test_reads_traces_in_si_with_their_drives_and_hash(tmp_path):
    m = load_measurement(write(tmp_path, GOOD))
    assert [t.name for t in m.traces] == ["ramp", "relax"]
    np.testing.assert_allclose(m.traces[0].conductance_s, [100e-6, 101e-6, 102e-6])
    np.testing.assert_allclose(m.traces[1].time_s, [1.0, 10.0, 100.0])
    assert m.traces[0].drive[0].square_wave.on_fraction == 0.5
    assert m.traces[1].drive[0].pulses[0].amplitude == -1.0
    assert m.traces[1].drive[0].pulses[0].width == pytest.approx(0.5)
    assert len(m.sha256) == 64 and m.n_points == 6 and m.comments == ["synthetic test data"]


def test_current_column_is_divided_by_the_read_voltage(tmp_path):
    sidecar = SIDECAR.replace("description: test", "description: test\nread_voltage: 10 mV")
    text = GOOD.replace("conductance [uS]", "current [nA]")
    m = load_measurement(write(tmp_path, text, sidecar))
    assert m.signal == "current"
    np.testing.assert_allclose(m.traces[0].conductance_s, np.array([100.0, 101.0, 102.0]) * 1e-9 / 0.01)


def test_units_may_come_from_the_sidecar(tmp_path):
    sidecar = SIDECAR + "units: {time: ms, conductance: S}\n"
    m = load_measurement(write(tmp_path, GOOD.replace(" [s]", "").replace(" [uS]", ""), sidecar))
    assert m.traces[0].time_s[0] == pytest.approx(5e-4) and m.traces[0].conductance_s[0] == 100.0


def test_non_monotonic_time_names_file_line_and_column(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("ramp,2.5,102.0", "ramp,1.0,102.0"))
    assert "data.csv:5: column 2 (time): time is not increasing in trace 'ramp' (1 s after 1.5 s on line 4)" in msg


def test_nan_names_file_line_and_column(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("relax,10,99.5", "relax,10,nan"))
    assert "data.csv:7: column 3 (conductance): not a finite number (got 'nan')" in msg


def test_text_in_a_number_column(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("ramp,1.5,101.0", "ramp,1.5s,101.0"))
    assert "data.csv:4: column 2 (time): expected a number, got '1.5s'" in msg


def test_too_few_points_in_a_trace(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("relax,10,99.5\n", "").replace("relax,100,99.9\n", ""))
    assert "data.csv:6: trace 'relax': 1 point(s); a trace needs at least 3" in msg


@pytest.mark.parametrize("header, expected", [
    ("trace,time,conductance [uS]", "data.csv:2: column 2 ('time'): no unit; write 'time [s]'"),
    ("trace,time [s],resistance [ohm]", "data.csv:2: column 3 ('resistance [ohm]'): unknown column 'resistance'"),
    ("trace,time [V],conductance [uS]", "data.csv:2: column 2 ('time [V]'): unit 'V' is not a time unit"),
    ("trace,time [s],time [s]", "data.csv:2: column 3 ('time [s]'): duplicate column 'time'"),
    ("trace,time [s],conductance [uS],current [nA]", "expected exactly one of a conductance or a current column"),
])
def test_bad_header(tmp_path, header, expected):
    msg = error_of(tmp_path, GOOD.replace("trace,time [s],conductance [uS]", header))
    assert expected in msg


def test_wrong_field_count_and_unknown_trace(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("ramp,1.5,101.0", "ramp,1.5"))
    assert "data.csv:4: expected 3 comma-separated fields (as in the header on line 2), got 2" in msg
    msg = error_of(tmp_path, GOOD.replace("relax,1,99.0", "relx,1,99.0"))
    assert "data.csv:6: trace 'relx' has no entry in" in msg


def test_sidecar_problems_name_its_line(tmp_path):
    msg = error_of(tmp_path, GOOD, SIDECAR.replace("on_fraction: 0.5", "on_fraction: 1.5"))
    assert "data.yaml:6: traces.ramp.drive[0].square_wave.on_fraction" in msg
    msg = error_of(tmp_path, GOOD, SIDECAR + "  extra:\n    drive: []\n")
    assert "traces.extra: no rows of this trace in" in msg


def test_current_without_read_voltage_and_missing_files(tmp_path):
    msg = error_of(tmp_path, GOOD.replace("conductance [uS]", "current [nA]"))
    assert "read_voltage: required when the data give a current" in msg
    with pytest.raises(ConfigError, match="nothing.csv: file not found"):
        load_measurement(tmp_path / "nothing.csv")
    path = tmp_path / "lonely.csv"
    path.write_text(GOOD)
    with pytest.raises(ConfigError, match="no sidecar"):
        load_measurement(path)


def _netcdf(tmp_path, time_units="s", conductance=None):
    import xarray as xr

    (tmp_path / "data.yaml").write_text(SIDECAR)
    values = np.array([100.0, 101.0, 102.0, 99.0, 99.5, 99.9]) if conductance is None else conductance
    ds = xr.Dataset({"time": ("sample", [0.5, 1.5, 2.5, 1.0, 10.0, 100.0], {"units": time_units}),
                     "conductance": ("sample", values, {"units": "uS"}),
                     "trace": ("sample", ["ramp"] * 3 + ["relax"] * 3)}, attrs={"title": "netCDF test data"})
    ds.to_netcdf(tmp_path / "data.nc", engine="h5netcdf")
    return tmp_path / "data.nc"


def test_netcdf_input_reads_the_same_traces_as_csv(tmp_path):
    from_nc = load_measurement(_netcdf(tmp_path))
    from_csv = load_measurement(write(tmp_path, GOOD, name="twin"))
    for a, b in zip(from_nc.traces, from_csv.traces):
        assert a.name == b.name
        np.testing.assert_allclose(a.time_s, b.time_s)
        np.testing.assert_allclose(a.conductance_s, b.conductance_s)
    assert from_nc.comments == ["netCDF test data"]


def test_netcdf_problems_name_the_variable_and_sample(tmp_path):
    with pytest.raises(ConfigError, match=r"data.nc: variable conductance, sample 5: not a finite number"):
        load_measurement(_netcdf(tmp_path, conductance=np.array([100.0, 101.0, 102.0, 99.0, np.nan, 99.9])))
    with pytest.raises(ConfigError, match=r"data.nc: variable time: unit 'V' is not a time unit"):
        load_measurement(_netcdf(tmp_path, time_units="V"))

"""Results that cannot be true are refused: negative flows, outputs, wages or jobs, NaN or
infinity anywhere, and tables whose labels do not line up are errors by default; a user who
really has negative entries allows them by name and gets a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from factories import synthetic_result
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine import DataError, IOTable
from simengine.checks import NEGATIVE_IMPOSSIBLE
from simengine.cli import main
from simengine.errors import DataQualityWarning

#: Miller & Blair (2009), Table 2.3, with compensation and employment (the textbook's
#: two-sector example, used here only as a well-formed starting point).
Z = np.array([[150.0, 500.0], [200.0, 100.0]])
X = np.array([1000.0, 2000.0])
F = np.array([350.0, 1700.0])


def _arrays(**changes):
    arrays = {
        "Z": Z.copy(),
        "final_demand": np.column_stack([F * 0.6, F * 0.4]),
        "x": X.copy(),
        "compensation": np.array([300.0, 500.0]),
        "employment": np.array([40.0, 60.0]),
        "imported_inputs": np.array([50.0, 100.0]),
        "fd_categories": ["household_consumption", "exports"],
    }
    arrays.update(changes)
    return arrays


def _table(allow_negative=(), **changes) -> IOTable:
    arrays = _arrays(**changes)
    return IOTable.from_arrays(arrays.pop("Z"), arrays.pop("final_demand"), allow_negative=allow_negative, **arrays)


def _with_negative(quantity: str, value: float = -5.0):
    if quantity == "intermediate":
        changed = Z.copy()
        changed[0, 1] = value
        return {"Z": changed}
    base = {"gross_output": X, "compensation": [300.0, 500.0], "employment": [40.0, 60.0]}
    base["imported_inputs"] = [50.0, 100.0]
    values = np.array(base[quantity], dtype=float)
    values[1] = value
    return {"x" if quantity == "gross_output" else quantity: values}


@pytest.mark.parametrize("quantity", list(NEGATIVE_IMPOSSIBLE))
def test_an_impossible_negative_is_refused_by_default_and_named(quantity):
    with pytest.raises(DataError, match=rf"\[negative\].*{NEGATIVE_IMPOSSIBLE[quantity]}.*--allow-negative {quantity}"):
        _table(**_with_negative(quantity))


@pytest.mark.parametrize("quantity", list(NEGATIVE_IMPOSSIBLE))
def test_an_allowed_negative_is_only_warned(quantity):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _table(allow_negative=[quantity], **_with_negative(quantity))
        except DataError as exc:  # another check (balance, productivity) may still refuse
            assert "[negative]" not in str(exc)
    assert any("negative_flows" in str(w.message) for w in caught if issubclass(w.category, DataQualityWarning))


def test_negative_final_demand_is_legitimate():
    """Inventory changes and net exports may be negative: no finding."""
    table = _table(final_demand=np.column_stack([F, [-10.0, 0.0]]), x=X - [10.0, 0.0])
    assert np.all(table.multipliers("output").values >= 1)


def test_unknown_allow_negative_name_is_an_error():
    with pytest.raises(DataError, match="allow_negative names \\['final_demand'\\]"):
        _table(allow_negative=["final_demand"])


@settings(max_examples=40)
@given(
    quantity=st.sampled_from(list(NEGATIVE_IMPOSSIBLE)),
    value=st.floats(-1e12, -1e-9),
)
def test_any_negative_impossible_quantity_is_refused(quantity, value):
    with pytest.raises(DataError, match=NEGATIVE_IMPOSSIBLE[quantity]):
        _table(**_with_negative(quantity, value))


@settings(max_examples=40)
@given(
    variable=st.sampled_from(["intermediate", "final_demand", "gross_output", "value_added", "employment"]),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    position=st.integers(0, 3),
)
def test_nan_or_infinity_in_any_variable_is_refused(variable, bad, position):
    dataset = _table().dataset.copy(deep=True)
    values = dataset[variable].values
    values.flat[position % values.size] = bad
    with pytest.raises(DataError, match="NaN or infinite"):
        IOTable(dataset, name="t.nc")


@settings(max_examples=30)
@given(
    flows=st.lists(st.floats(0, 400), min_size=4, max_size=4),
    extra=st.lists(st.floats(1, 1e4), min_size=2, max_size=2),
)
def test_every_table_accepted_gives_finite_multipliers_of_at_least_one(flows, extra):
    """For Z >= 0 and a productive table, L >= I, so output multipliers are at least 1 (M&B 2009, ch. 2)."""
    matrix = np.array(flows).reshape(2, 2)
    x = matrix.sum(axis=0) + np.array(extra)  # every column's inputs below its output
    table = IOTable.from_arrays(matrix, x - matrix.sum(axis=1), x=x, strict=())
    values = table.multipliers("output").values
    assert np.all(np.isfinite(values)) and np.all(values >= 1 - 1e-12)


def test_mismatched_labels_in_a_netcdf_table_are_refused(tmp_path):
    dataset = _table().dataset
    shuffled = dataset.assign_coords(sector_to=["S2", "S1"])
    path = tmp_path / "t.nc"
    shuffled.to_netcdf(path, engine="h5netcdf")
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path)])
    assert result.exit_code == 1 and "sector_to labels of the intermediate flows differ" in result.output


def test_wrong_dimensions_in_a_netcdf_table_are_refused(tmp_path):
    dataset = _table().dataset
    broken = dataset.drop_vars("gross_output").assign(gross_output=(("fd_category",), [1.0, 2.0]))
    path = tmp_path / "t.nc"
    broken.to_netcdf(path, engine="h5netcdf")
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path)])
    assert result.exit_code == 1 and "'gross_output' has dims ('fd_category',)" in result.output
    missing = tmp_path / "m.nc"
    dataset.drop_vars("value_added").to_netcdf(missing, engine="h5netcdf")
    result = CliRunner().invoke(main, ["multipliers", "--table", str(missing)])
    assert result.exit_code == 1 and "lacks required variables ['value_added']" in result.output


@pytest.mark.filterwarnings("default::simengine.errors.DataQualityWarning")
def test_cli_negative_flow_needs_allow_negative(tmp_path):
    path = tmp_path / "neg.csv"
    path.write_text(
        "code,name,S1,S2,fd:household_consumption,total_output\n"
        "S1,A,150,-500,1350,1000\nS2,B,200,100,1700,2000\n"
        "va:compensation,,300,500,,\nva:other_value_added,,350,1900,,\n"
    )
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path)])
    assert result.exit_code == 1 and "negative intermediate flows" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path), "--allow-negative", "intermediate"])
    assert result.exit_code == 0 and "warning:" in result.output


def test_undefined_ratios_print_as_n_a_with_a_note(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "code,name,S1,S2,fd:household_consumption,total_output\n"
        "S1,A,150,500,350,1000\nS2,B,200,100,1700,2000\n"
        "va:compensation,,0,500,,\nva:other_value_added,,650,900,,\n"
    )
    result = CliRunner().invoke(main, ["multipliers", "--table", str(path), "--kind", "income"])
    assert result.exit_code == 0, result.output
    assert "nan" not in result.output.lower().replace("n/a", "") and "n/a: not defined" in result.output


@pytest.mark.parametrize("change", ["nan", "fewer sectors", "missing variable"])
def test_a_broken_regional_model_file_is_one_error_naming_it(change, tmp_path):
    import xarray as xr

    from simengine.datasets import region_path

    ds = xr.open_dataset(region_path("gwangmyeong"), engine="h5netcdf").load()
    if change == "nan":
        ds["coefficients"].values[0, 0, 0, 0] = np.nan
    elif change == "fewer sectors":
        ds = ds.isel(sector=slice(0, 5))
    else:
        ds = ds.drop_vars("employment")
    path = tmp_path / "region.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    result = CliRunner().invoke(main, ["multipliers", "--region", str(path)])
    assert result.exit_code == 1 and "region.nc" in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_a_result_file_with_repeated_labels_is_one_error(tmp_path):
    path = tmp_path / "dup.nc"
    synthetic_result().assign_coords(sector=["a", "a", "b", "c"]).to_netcdf(path, engine="h5netcdf")
    for arguments in (["compare", str(path)], ["report", str(path), "-o", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(main, arguments)
        assert (
            result.exit_code == 1 and "dup.nc" in result.output and "repeats the sector labels ['a']" in result.output
        )

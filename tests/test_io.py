"""Table files: CSV, Excel and NetCDF round trips; atomic, non-overwriting writes."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine import DataError, IOTable, load_table

CSV = """# currency = KRW
# monetary_unit = million
# price_year = 2014
code,name,S1,S2,fd:household_consumption,fd:exports,total_output
S1,Agriculture,150,500,200,150,1000
S2,Manufacturing,200,100,1200,500,2000
va:compensation,,300,500,,,
va:other_value_added,,350,900,,,
employment,,40,60,,,
"""


def test_csv_layout_reads_the_textbook_table(tmp_path):
    path = tmp_path / "mb.csv"
    path.write_text(CSV)
    table = load_table(path)
    assert table.sectors == ["S1", "S2"]
    assert table.unit == "KRW million"
    np.testing.assert_allclose(table.leontief_inverse(), [[1.254125, 0.330033], [0.264026, 1.122112]], atol=5e-7)
    np.testing.assert_allclose(
        table.multipliers("income", "simple"),
        [300 / 1000 * 1.254125 + 500 / 2000 * 0.264026, 300 / 1000 * 0.330033 + 500 / 2000 * 1.122112],
        atol=1e-6,
    )
    assert list(table.dataset["fd_category"].values) == ["household_consumption", "exports"]


def test_csv_netcdf_excel_round_trips(tmp_path, korea):
    csv_path = korea.to_csv(tmp_path / "k.csv")
    nc_path = korea.to_netcdf(tmp_path / "k.nc")
    from_csv = load_table(csv_path)
    from_nc = load_table(nc_path)
    for other in (from_csv, from_nc):
        np.testing.assert_allclose(
            other.multipliers("employment", "II"), korea.multipliers("employment", "II"), rtol=1e-12
        )
    import pandas as pd

    frame = pd.read_csv(csv_path, comment="#")
    xlsx = tmp_path / "k.xlsx"
    frame.to_excel(xlsx, index=False)
    from_xlsx = IOTable.from_excel(xlsx, currency="KRW", monetary_unit="million")
    np.testing.assert_allclose(from_xlsx.multipliers("output"), korea.multipliers("output"), rtol=1e-12)


def test_existing_file_is_not_overwritten_and_nothing_half_written(tmp_path, korea):
    path = tmp_path / "k.nc"
    path.write_text("precious")
    with pytest.raises(DataError, match="exists.*overwrite"):
        korea.to_netcdf(path)
    assert path.read_text() == "precious"
    korea.to_netcdf(path, overwrite=True)
    assert xr.open_dataset(path, engine="h5netcdf").sizes["sector"] == 53
    assert [p.name for p in tmp_path.iterdir()] == ["k.nc"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("code,S1\nS1,abc\n", r"line 2 \(row 'S1'\), column 'S1': an intermediate flow is 'abc', not a number"),
        ("code,S1,S2\nS1,1,2\n", "no matching column|unknown columns"),
        ("code,S1,weird\nS1,1,2\n", "unknown columns"),
        ("S1,S2\n1,2\n", "'code' column"),
        ("code,S1\nS1,\n", r"line 2 \(row 'S1'\), column 'S1': an intermediate flow is blank"),
        ("S1,1,2\nS2,3,4\n", "seems to have no header line"),
    ],
)
def test_bad_csv_names_the_file_and_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=f"bad.csv.*({message})"):
        load_table(path)


def test_missing_and_unknown_tables(tmp_path):
    with pytest.raises(DataError, match="neither a shipped dataset"):
        load_table(tmp_path / "none.csv")
    odd = tmp_path / "t.txt"
    odd.write_text("x")
    with pytest.raises(DataError, match="unknown table format"):
        load_table(odd)


def _read_image(data) -> xr.Dataset:
    import io

    with xr.open_dataset(io.BytesIO(bytes(data)), engine="h5netcdf") as ds:
        return ds.load()


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@st.composite
def _datasets(draw) -> xr.Dataset:
    """Datasets of the kinds simengine writes: float (with NaN and infinities), integer, boolean and
    text variables over shared dimensions, a non-dimension coordinate, text and number attributes."""
    rows = draw(st.integers(1, 4))
    cols = draw(st.integers(1, 3))
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    variables = {
        "x": (
            ("row", "col"),
            np.array(draw(st.lists(floats, min_size=rows * cols, max_size=rows * cols))).reshape(rows, cols),
        ),
        "n": (("row",), np.array(draw(st.lists(st.integers(-(2**40), 2**40), min_size=rows, max_size=rows)))),
        "flag": (("col",), np.array(draw(st.lists(st.booleans(), min_size=cols, max_size=cols)))),
        "label": (("row",), np.array(draw(st.lists(_TEXT, min_size=rows, max_size=rows)), dtype=object)),
        "scalar": ((), draw(floats)),
    }
    ds = xr.Dataset(
        variables,
        coords={
            "row": [f"r{i}" for i in range(rows)],
            "col": np.arange(cols),
            "year": ("col", 2020 + np.arange(cols)),
        },
        attrs={"title": draw(_TEXT), "count": draw(st.integers(0, 100)), "rate": draw(st.floats(0, 1))},
    )
    ds["x"].attrs.update(units="KRW million", long_name=draw(_TEXT))
    if draw(st.booleans()):
        ds["label"] = ds["label"].astype(str)  # fixed-width numpy text, as built in memory
    return ds


@given(_datasets())
@settings(max_examples=60, deadline=None)
def test_netcdf_image_reads_back_as_xarrays_own_file(ds):
    """Property: the file of :func:`simengine.io.netcdf_image` reads back identical to
    ``to_netcdf(engine="h5netcdf")``'s: values, dtypes, attributes and encodings."""
    from simengine.io import netcdf_image

    ours, theirs = _read_image(netcdf_image(ds)), _read_image(ds.to_netcdf(engine="h5netcdf"))
    xr.testing.assert_identical(ours, theirs)
    for name in theirs.variables:
        assert ours[name].dtype == theirs[name].dtype
        mine = {k: v for k, v in ours[name].encoding.items() if k != "source"}
        expected = {k: v for k, v in theirs[name].encoding.items() if k != "source"}
        assert repr(mine) == repr(expected), name  # repr: NaN fill values compare equal


def test_netcdf_image_hands_storage_encodings_to_xarray(tmp_path):
    """A Dataset read from a file keeps its encodings (chunks, compression): xarray writes it."""
    from simengine.io import netcdf_image, write_netcdf

    ds = xr.Dataset({"x": (("a",), np.arange(1000.0))})
    ds["x"].encoding.update(zlib=True, complevel=4, chunksizes=(100,))
    back = _read_image(netcdf_image(ds))
    assert back["x"].encoding["zlib"] and back["x"].encoding["chunksizes"] == (100,)
    path = write_netcdf(ds, tmp_path / "x.nc")
    xr.testing.assert_identical(xr.load_dataset(path, engine="h5netcdf"), ds)


def test_an_attribute_netcdf_cannot_hold_is_one_error_naming_it(tmp_path):
    from simengine.io import write_netcdf

    ds = xr.Dataset({"x": (("a",), [1.0])})
    ds["x"].attrs["note"] = None
    with pytest.raises(DataError, match=r"attribute 'note' of variable 'x' is None"):
        write_netcdf(ds, tmp_path / "x.nc")
    assert list(tmp_path.iterdir()) == []

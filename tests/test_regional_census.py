"""City employment from the establishment census (KOSIS 시군구 x KSIC section): reading, mapping, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simengine.cli import main
from simengine.datasets import load_region
from simengine.errors import DataError, DataQualityWarning
from simengine.regional import build_city_model, lq_spread, read_establishment_census
from simengine.regional.census import section_sectors

DATA = Path(__file__).parent / "data" / "census"
CP949 = DATA / "gwangmyeong_kosis_cp949.csv"
UTF8 = DATA / "gwangmyeong_kosis_utf8.csv"


@pytest.fixture(scope="module")
def gyeonggi():
    return load_region("gyeonggi-2014")


@pytest.fixture(scope="module")
def province(gyeonggi):
    return gyeonggi.dataset["employment"].sel(region="gyeonggi").values


def _read(path, model, employment, **options):
    options = {"city": "광명시", "province": "경기도", **options}
    return read_establishment_census(path, model.sectors, province_employment=employment, **options)


def test_both_encodings_and_layouts_give_the_same_city(gyeonggi, province):
    a, b = _read(CP949, gyeonggi, province), _read(UTF8, gyeonggi, province)
    np.testing.assert_array_equal(a.employment.values, b.employment.values)
    assert a.sections["C"] == 9000 and a.sections["G"] == 13000 and a.sections["B"] == 0
    assert a.basis == "share of the province's census figure" and not a.degenerate


def test_sections_map_to_table_sectors_in_province_proportions(gyeonggi, province):
    """Manufacturing (18 sectors; C33 has no output in korea-2014): the city's 9,000 of the
    province's 1,400,000 census workers (0.643%)
    applied to every C sector of the province model; R and S share R_S."""
    city = _read(CP949, gyeonggi, province)
    mapping = section_sectors(gyeonggi.sectors)
    manufacturing = mapping["C"]
    assert len(manufacturing) == 18 and mapping["R"] == mapping["S"] == [gyeonggi.sectors.index("R_S")]
    np.testing.assert_allclose(city.employment.values[manufacturing], province[manufacturing] * 9000 / 1_400_000)
    r_s = gyeonggi.sectors.index("R_S")
    # R_S: the province model's R_S split between R and S by the census (70,000 : 200,000)
    assert city.employment.values[r_s] == pytest.approx(province[r_s] * (1300 + 4000) / (70000 + 200000))
    q = city.quotients
    assert q["min"] < q["median"] < q["max"] and q["spread"] > 0.3


def test_counts_used_directly_without_province_rows(gyeonggi, province):
    city = _read(UTF8, gyeonggi, province, province=None)
    assert city.basis == "census persons"
    c = section_sectors(gyeonggi.sectors)["C"]
    assert city.employment.values[c].sum() == pytest.approx(9000)


def test_degenerate_city_warns_and_the_model_says_so(gyeonggi, province, tmp_path):
    """A census table whose city is its province scaled (each section 1.5%) gives every LQ = 1."""
    lines = UTF8.read_text(encoding="utf-8-sig").splitlines()
    rows = [lines[0]] + [line for line in lines[1:] if line.startswith("경기도")]
    path = tmp_path / "scaled.csv"
    path.write_text("\n".join(rows + [line.replace("경기도", "광명시") for line in rows[1:]]) + "\n", encoding="utf-8")
    with pytest.warns(DataQualityWarning, match="DEGENERATE"):
        city = _read(path, gyeonggi, province)
    assert city.degenerate and city.quotients["spread"] < 1e-9
    model = build_city_model(gyeonggi, city, city="gwangmyeong")
    assert "degenerate regionalisation" in model.dataset.attrs["structure_warning"]
    assert model.regions == ["gwangmyeong", "rest_of_gyeonggi", "rest_of_korea"]
    real = build_city_model(gyeonggi, _read(CP949, gyeonggi, province), city="gwangmyeong")
    assert (
        "structure_warning" not in real.dataset.attrs and "fit_median_abs_rel_error_output_in" not in real.dataset.attrs
    )


def test_lq_spread_of_the_shipped_assumption_is_zero():
    """The shipped Gwangmyeong employment is Gyeonggi's structure scaled: every LQ is 1."""
    model = load_region("gwangmyeong")
    spread = lq_spread(
        model.dataset["employment"].sel(region="gwangmyeong"),
        load_region("gyeonggi-2014").dataset["employment"].sel(region="gyeonggi"),
    )
    assert spread["spread"] < 1e-3 and "ASSUMPTION" in model.dataset.attrs["structure_warning"]


def _edited(tmp_path, old, new, encoding="utf-8"):
    text = UTF8.read_text(encoding="utf-8-sig").replace(old, new, 1)
    path = tmp_path / "edited.csv"
    path.write_text(text, encoding=encoding)
    return path


def _line_of(path, needle, encoding="utf-8"):
    return next(i for i, line in enumerate(path.read_text(encoding=encoding).splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("광명시,B. 광업", "광명시,Z. 우주산업", "unknown industry 'Z. 우주산업'"),
        ('광명시,F. 건설업,-,"5,500"', "광명시,F. 건설업,-,-5500", "negative"),
        ('광명시,F. 건설업,-,"5,500"', '광명시,F. 건설업,-,"500,000"', "cannot be larger than its province"),
        ('광명시,F. 건설업,-,"5,500"', "광명시,F. 건설업,-,X", "suppressed"),
        ('광명시,F. 건설업,-,"5,500"', "광명시,F. 건설업,-,many", "not a number"),
        ('광명시,F. 건설업,-,"5,500"', '광명시,C. 제조업,-,"5,500"', "appears twice"),
    ],
)
def test_bad_rows_are_one_clear_error_naming_file_and_line(gyeonggi, province, tmp_path, old, new, message):
    source = UTF8.read_text(encoding="utf-8-sig")
    if old not in source:  # the city rows carry KOSIS names; edit the equivalent line
        old = old.replace("B. 광업", "광업(05~08)").replace("F. 건설업", "건설업(41~42)")
        new = new.replace("F. 건설업", "건설업(41~42)")
    path = _edited(tmp_path, old, new)
    line = _line_of(path, new.split(",-,")[0] if ",-," in new else new.split(",")[0] + "," + new.split(",")[1])
    with pytest.raises(DataError, match=message) as error:
        _read(path, gyeonggi, province)
    assert f"{path}, line {line}" in str(error.value)


def test_city_larger_than_the_province_model_without_province_rows(gyeonggi, province, tmp_path):
    path = _edited(tmp_path, '광명시,건설업(41~42),-,"5,500"', '광명시,건설업(41~42),-,"99,000,000"')
    with pytest.raises(DataError, match=r"line \d+: .*cannot be larger than its province"):
        _read(path, gyeonggi, province, province=None)


def test_wrong_encodings_are_named(gyeonggi, province, tmp_path):
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(UTF8.read_text(encoding="utf-8-sig"), encoding="utf-16")
    with pytest.raises(DataError, match="UTF-16"):
        _read(utf16, gyeonggi, province)
    broken = tmp_path / "broken.csv"
    data = CP949.read_bytes().splitlines(keepends=True)
    data[5] = b"\xff\xfe\xff" + data[5]
    broken.write_bytes(b"".join(data))
    with pytest.raises(DataError, match=rf"{broken}, line 6: neither UTF-8 nor CP949"):
        _read(broken, gyeonggi, province)


def test_header_and_city_errors(gyeonggi, province, tmp_path):
    no_workers = tmp_path / "no_workers.csv"
    no_workers.write_text("행정구역별,산업별,사업체수\n광명시,C,10\n", encoding="utf-8")
    with pytest.raises(DataError, match="no workers column"):
        _read(no_workers, gyeonggi, province)
    no_columns = tmp_path / "no_columns.csv"
    no_columns.write_text("area,industry,workers\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 1: header needs an area column"):
        _read(no_columns, gyeonggi, province)
    with pytest.raises(DataError, match="no rows for the city '안양시'"):
        _read(CP949, gyeonggi, province, city="안양시")


def test_cli_region_city(tmp_path):
    runner = CliRunner()
    out = tmp_path / "city.nc"
    args = ["region", "city", "--province", "경기", "--census", str(CP949), "--city", "광명시"]
    result = runner.invoke(main, [*args, "--province-area", "경기도", "--name", "gwangmyeong", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "location quotients in the province min 0.3" in result.output and "WARNING" not in result.output
    assert load_region(out).regions == ["gwangmyeong", "rest_of_gyeonggi", "rest_of_korea"]
    bad = tmp_path / "bad.csv"
    bad.write_text("행정구역별,산업별,종사자수\n광명시,우주,5\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        failed = runner.invoke(main, ["region", "city", "--province", "경기", "--census", str(bad), "--city", "광명시"])
    assert failed.exit_code == 1 and f"{bad}, line 2: unknown industry" in failed.output
    assert "Traceback" not in failed.output


def test_the_api_example_in_docs_regional_runs(monkeypatch, capsys):
    """The second Python block of docs/regional.md runs as written from the repository root."""
    import re

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    block = re.findall(r"```python\n(.*?)```", (root / "docs" / "regional.md").read_text(encoding="utf-8"), re.S)[1]
    namespace: dict = {}
    exec(compile(block, "docs/regional.md", "exec"), namespace)
    assert namespace["model"].regions == ["gwangmyeong", "rest_of_gyeonggi", "rest_of_korea"]
    assert "busan-2014" in capsys.readouterr().out

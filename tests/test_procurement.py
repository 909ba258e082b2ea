"""Contract registers and spend analysis: reading, mappings, bad input, locality, shares, examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simengine.cli import main
from simengine.errors import DataError, DataQualityWarning
from simengine.procurement import read_mapping, read_register, spend_analysis, spend_table, write_spend
from simengine.procurement.synthetic import BUSAN_LOCAL_SHARES, SHIPPED_REGISTER, synthetic_register

ROOT = Path(__file__).resolve().parents[1]
UK_REGISTER = ROOT / "simengine" / "datasets" / "raw" / "uk-contracts-finder-sample" / "cf_award_supplier_rows.csv"
UK_MAPPING = ROOT / "scenarios" / "data" / "uk_contracts_finder_mapping.toml"
HEADER = (
    "contract_id,award_date,value,currency,sector,method,supplier_location,buyer_location,supplier_size,social_economy"
)
CITY = '"Gwangmyeong, Gyeonggi"'
#: Shares of the shipped synthetic register are exact by construction up to rounding each
#: value to whole won (relative change < 1e-9 on contracts of >= 1e5 KRW).
SYNTHETIC_SHARE_ATOL = 1e-8


def all_cells(analysis: xr.Dataset) -> dict:
    return {dim: "all" for dim in analysis.dims}


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "register.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def row(cid="C1", value="1000", sector="goods", method="open", supplier=CITY, size="sme", social="false"):
    return f"{cid},2024-03-01,{value},KRW,{sector},{method},{supplier},{CITY},{size},{social}"


# reading, mappings, bad input -------------------------------------------------------------


def test_reads_the_canonical_layout(tmp_path):
    path = write_csv(tmp_path, row(), row("C2", "5e9", "construction", "negotiated", '"Seoul, Seoul"', "large", "yes"))
    register = read_register(path)
    assert list(register["contract_id"]) == ["C1", "C2"]
    assert list(register["is_local"]) == [True, False]
    assert list(register["size_class"]) == ["small", "large"]  # KRW defaults: < 20 million, >= 1 billion
    assert list(register["social_economy"]) == [False, True]
    assert register["award_date"].iloc[0] == pd.Timestamp("2024-03-01")
    assert register.attrs["currency"] == "KRW" and register.attrs["locality"] == "same_city"


def test_mapping_dict_reads_another_layout(tmp_path):
    path = write_csv(tmp_path, "A1,12.5,Works,Open,Anyang", "A2,3,Goods,Direct,", header="id,amount,cat,how,where")
    mapping = {
        "columns": {
            "contract_id": "id",
            "value": "amount",
            "sector": "cat",
            "method": "how",
            "supplier_location": "where",
        },
        "values": {
            "sector": {"works": "construction", "goods": "goods"},
            "method": {"open": "open", "direct": "direct"},
        },
        "currency": "EUR",
        "size_classes": {"small": 10, "large": math.inf},
    }
    register = read_register(path, mapping=mapping, buyer_location="anyang")
    assert list(register["sector"]) == ["construction", "goods"]
    assert list(register["method"]) == ["open", "direct"]
    assert list(register["size_class"]) == ["large", "small"]
    assert register["is_local"].iloc[0] and register["is_local"].isna().iloc[1]
    assert list(register["supplier_size"]) == ["unknown", "unknown"]


def test_missing_column_names_file_column_and_expected_names(tmp_path):
    path = write_csv(tmp_path, "C1,1000,goods,open", header="contract_id,value,sector,method")
    with pytest.raises(DataError, match="register.csv") as info:
        read_register(path, buyer_location="x")
    message = str(info.value)
    assert "supplier_location" in message and "Expected columns" in message and "[columns]" in message


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (row(value="12k"), r"line 3, column 'value': '12k' is not a number"),
        (row(value="-5"), r"line 3, column 'value': '-5' is negative"),
        (row(method="lowest_bid"), r"line 3, column 'method': 'lowest_bid' is not a known method.*negotiated"),
        (row(size="tiny"), r"line 3, column 'supplier_size': 'tiny'"),
        (row(social="maybe"), r"line 3, column 'social_economy': 'maybe' is not a yes/no flag"),
        (row(cid=""), r"line 3, column 'contract_id'"),
    ],
)
def test_bad_values_name_line_column_value_and_fix(tmp_path, bad_row, expected):
    path = write_csv(tmp_path, row("C0"), bad_row)
    with pytest.raises(DataError, match=expected):
        read_register(path)


def test_unmapped_value_with_a_mapping_table_is_an_error(tmp_path):
    path = write_csv(tmp_path, row(), row("C2", method="auction"))
    mapping = {"values": {"method": {"open": "open"}}}
    with pytest.raises(DataError, match=r"line 3, column 'method': 'auction' is not in the mapping"):
        read_register(path, mapping=mapping)


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"colums": {}}, "unknown keys"),
        ({"columns": {"amount": "x"}}, r"\[columns\] has unknown names \['amount'\]"),
        ({"locality": "same_planet"}, "valid rules"),
    ],
)
def test_bad_mappings(mapping, expected):
    with pytest.raises(DataError, match=expected):
        read_mapping(mapping)


def test_mapping_file_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_mapping(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("columns = [", encoding="utf-8")
    with pytest.raises(DataError, match="not valid TOML"):
        read_mapping(bad)


def test_other_register_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_register(tmp_path / "none.csv")
    two = write_csv(tmp_path, row(), row("C2").replace(",KRW,", ",USD,"))
    with pytest.raises(DataError, match="several currencies"):
        read_register(two)
    no_buyer = write_csv(tmp_path, "C1,1,goods,open,Anyang", header="contract_id,value,sector,method,supplier_location")
    with pytest.raises(DataError, match="no buyer location"):
        read_register(no_buyer, mapping={"currency": "KRW"})
    with pytest.raises(DataError, match="no currency"):
        read_register(no_buyer, buyer_location="Anyang")
    with pytest.raises(DataError, match="no default size classes for EUR"):
        read_register(no_buyer, buyer_location="Anyang", mapping={"currency": "EUR"})


# locality rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supplier", "buyer", "rule", "local"),
    [
        ("Gwangmyeong, Gyeonggi", "gwangmyeong, gyeonggi", "same_city", True),
        ("Gwangmyeong", "Gwangmyeong, Gyeonggi", "same_city", True),  # province compared only when both give one
        ("Gwangju, Gyeonggi", "Gwangju, Gwangju", "same_city", False),  # two different cities called Gwangju
        ("Suwon, Gyeonggi", "Gwangmyeong, Gyeonggi", "same_city", False),
        ("Suwon, Gyeonggi", "Gwangmyeong, Gyeonggi", "same_province", True),
        ("Seoul, Seoul", "Gwangmyeong, Gyeonggi", "same_province", False),
        ("SM1", "SM4", "postcode_area", True),
        ("S1", "SM4", "postcode_area", False),  # area S (Sheffield) is not SM (Sutton)
        ("ec3n 4ab", "EC1A", "postcode_area", True),
        ("W1W", "WC2N", "postcode_area", False),
        ("", "SM4", "postcode_area", None),
        ("SM4", "", "postcode_area", None),
        ("", "Gwangmyeong, Gyeonggi", "same_city", None),
    ],
)
def test_locality_rules(tmp_path, supplier, buyer, rule, local):
    header = "contract_id,value,currency,sector,method,supplier_location,buyer_location"
    path = write_csv(tmp_path, f'C1,5,KRW,goods,open,"{supplier}","{buyer}"', header=header)
    result = read_register(path, locality=rule)["is_local"].iloc[0]
    assert (result is pd.NA) if local is None else (result == local)


@pytest.mark.parametrize(
    ("supplier", "rule", "expected"),
    [("12 High St", "postcode_area", "is not a UK postcode"), ("Suwon", "same_province", "has no province part")],
)
def test_unreadable_locations_are_errors(tmp_path, supplier, rule, expected):
    path = write_csv(tmp_path, row(supplier=f'"{supplier}"'))
    with pytest.raises(DataError, match=expected):
        read_register(path, locality=rule, buyer_location="SM4, Gyeonggi" if rule == "postcode_area" else None)


def test_buyer_location_argument_overrides_the_column(tmp_path):
    path = write_csv(tmp_path, row(supplier='"Anyang, Gyeonggi"'))
    assert not read_register(path)["is_local"].iloc[0]
    assert read_register(path, buyer_location="Anyang, Gyeonggi")["is_local"].iloc[0]


# multi-supplier awards ---------------------------------------------------------------------


def test_multi_supplier_award_is_split_not_double_counted(tmp_path):
    path = write_csv(
        tmp_path,
        row("F1", "900", supplier=CITY),
        row("F1", "900", supplier='"Seoul, Seoul"'),
        row("F1", "900", supplier=""),
        row("C2", "100"),
    )
    register = read_register(path)
    assert register["value"].sum() == 1000.0
    assert register["award_weight"].sum() == pytest.approx(2.0)
    total = spend_analysis(register, by=["sector"]).sel(sector="all")
    assert float(total["value"]) == 1000.0 and float(total["local_value"]) == 400.0
    assert float(total["unknown_value"]) == 300.0 and float(total["contracts"]) == pytest.approx(2.0)
    assert float(total["local_share_value"]) == pytest.approx(400 / 700)


def test_rows_of_one_award_must_repeat_its_value(tmp_path):
    path = write_csv(tmp_path, row("F1", "900"), row("F1", "800"))
    with pytest.raises(DataError, match="differs from another row of the same contract id"):
        read_register(path)


def test_latest_release_is_kept_and_n_suppliers_checked(tmp_path):
    header = f"{HEADER},release_id,n_suppliers"
    path = write_csv(
        tmp_path,
        row("A1", "10900") + ",r-0001,1",
        row("A1", "109") + ",r-0002,1",
        row("A2", "50") + ",r-0003,2",
        header=header,
    )
    with pytest.warns(DataQualityWarning, match="1 row"):
        register = read_register(path)
    assert list(register["value"]) == [109.0, 50.0]


# spend analysis ----------------------------------------------------------------------------


def test_analysis_dims_totals_and_units(tmp_path):
    path = write_csv(tmp_path, row(), row("C2", "3e7", "services", "negotiated", '"Seoul, Seoul"'))
    analysis = spend_analysis(read_register(path))
    assert analysis["local_share_value"].dims == ("sector", "method", "size_class")
    assert analysis["value"].attrs["units"] == "KRW" and analysis["contracts"].attrs["units"] == "awards"
    assert analysis["local_share_value"].attrs["units"] == "1"
    assert float(analysis["local_share_value"].sel(all_cells(analysis))) == pytest.approx(1000 / (1000 + 3e7))
    assert float(analysis["local_share_count"].sel(all_cells(analysis))) == 0.5
    table = spend_table(analysis)
    # two cells that differ in every dim: 8 margins each, sharing only the grand total
    assert (table["contracts"] > 0).all() and len(table) == 2 * 8 - 1


def test_given_size_class_and_social_economy_dimension(tmp_path):
    path = write_csv(tmp_path, row() + ",lot-a", row("C2", social="") + ",lot-b", header=f"{HEADER},size_class")
    register = read_register(path)
    assert list(register["size_class"]) == ["lot-a", "lot-b"]
    analysis = spend_analysis(register, by=["size_class", "social_economy"])
    assert set(analysis["social_economy"].values) == {"False", "unknown", "all"}
    with pytest.raises(DataError, match="is not an ISO date"):
        read_register(write_csv(tmp_path, row().replace("2024-03-01", "01/13/2024")))


def test_bad_dimensions(tmp_path):
    register = read_register(write_csv(tmp_path, row()))
    with pytest.raises(DataError, match="cannot analyse by"):
        spend_analysis(register, by=["supplier_location"])
    with pytest.raises(DataError, match="cannot analyse by"):
        spend_analysis(register, by=[])


def test_write_netcdf_and_csv(tmp_path):
    analysis = spend_analysis(read_register(write_csv(tmp_path, row())), by=["sector", "supplier_size"])
    written = xr.open_dataset(write_spend(analysis, tmp_path / "s.nc"), engine="h5netcdf").load()
    xr.testing.assert_identical(written, analysis)
    frame = pd.read_csv(write_spend(analysis, tmp_path / "s.csv"))
    assert len(frame) == analysis.sizes["sector"] * analysis.sizes["supplier_size"]
    with pytest.raises(DataError, match="exists"):
        write_spend(analysis, tmp_path / "s.csv")


@st.composite
def registers(draw):
    n = draw(st.integers(1, 25))
    values = draw(st.lists(st.floats(0, 1e9, allow_nan=False), min_size=n, max_size=n))
    values[0] = max(values[0], 1.0)  # an all-zero register is refused (no share is defined)
    places = draw(st.lists(st.sampled_from(["SM1", "SM9", "EC3N", "B17", ""]), min_size=n, max_size=n))
    sectors = draw(st.lists(st.sampled_from(["works", "goods", "services"]), min_size=n, max_size=n))
    methods = draw(st.lists(st.sampled_from(["open", "direct", "selective"]), min_size=n, max_size=n))
    awards = draw(st.lists(st.integers(0, max(n // 2, 0)), min_size=n, max_size=n))
    award_value = {}
    lines = ["contract_id,value,currency,sector,method,supplier_location,buyer_location"]
    for value, place, sector, method, award in zip(values, places, sectors, methods, awards, strict=True):
        value = award_value.setdefault(award, value)
        lines.append(f"A{award},{value!r},GBP,{sector},{method},{place},SM4")
    return "\n".join(lines) + "\n"


@settings(max_examples=25)  # each example writes and reads a file
@given(text=registers())
def test_money_is_conserved_and_shares_are_fractions(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("reg") / "r.csv"
    path.write_text(text, encoding="utf-8")
    mapping = {"values": {"method": {m: m for m in ("open", "direct", "selective")}}, "locality": "postcode_area"}
    register = read_register(path, mapping=mapping)
    analysis = spend_analysis(register)
    awards = pd.read_csv(path).drop_duplicates("contract_id")
    total = analysis.sel(all_cells(analysis))
    np.testing.assert_allclose(float(total["value"]), awards["value"].sum(), rtol=1e-12)
    np.testing.assert_allclose(float(total["contracts"]), len(awards), rtol=1e-12)
    parts = analysis["local_value"] + analysis["non_local_value"] + analysis["unknown_value"]
    np.testing.assert_allclose(parts, analysis["value"], rtol=1e-12, atol=1e-6)
    inner = analysis.drop_sel(sector="all").drop_sel({"method": "all"}).drop_sel(size_class="all")
    np.testing.assert_allclose(float(inner["value"].sum()), float(total["value"]), rtol=1e-12)
    for name in ("local_share_value", "local_share_count", "unknown_share_value"):
        shares = analysis[name].values[~np.isnan(analysis[name].values)]
        assert ((shares >= -1e-12) & (shares <= 1 + 1e-12)).all()


# shipped examples --------------------------------------------------------------------------


def test_synthetic_register_reproduces_the_busan_shares():
    """Targets: Busan local award shares by value, MODEL.md section 6 (61.8 % overall,
    construction 72.6 %, services 52.8 %, goods 59.1 %, central shopping mall 37.4 %). The
    shipped register is SYNTHETIC and matches them by construction (simengine.procurement.synthetic)."""
    analysis = spend_analysis(read_register(SHIPPED_REGISTER), by=["sector", "method"])
    shares = analysis["local_share_value"]
    assert float(shares.sel({"sector": "all", "method": "all"})) == pytest.approx(
        BUSAN_LOCAL_SHARES["all"], abs=SYNTHETIC_SHARE_ATOL
    )
    for sector in ("construction", "services", "goods"):
        measured = float(shares.sel({"sector": sector, "method": "all"}))
        assert measured == pytest.approx(BUSAN_LOCAL_SHARES[sector], abs=SYNTHETIC_SHARE_ATOL)
    mall = float(shares.sel({"sector": "all", "method": "shopping_mall"}))
    assert mall == pytest.approx(BUSAN_LOCAL_SHARES["shopping_mall"], abs=SYNTHETIC_SHARE_ATOL)
    assert float(analysis["contracts"].sel({"sector": "all", "method": "all"})) == 3050


def test_shipped_synthetic_file_is_the_generator_output():
    shipped = pd.read_csv(SHIPPED_REGISTER, dtype=str, keep_default_na=False)
    generated = synthetic_register().astype(str)
    pd.testing.assert_frame_equal(shipped, generated.reset_index(drop=True), check_dtype=False)


def test_generator_is_seeded():
    a, b = synthetic_register(seed=1), synthetic_register(seed=2)
    assert a.equals(synthetic_register(seed=1)) and not a["value"].equals(b["value"])


def test_uk_contracts_finder_example():
    """REGRESSION values measured on the real UK Contracts Finder sample (OGL v3.0), not
    published figures: 267 rows -> 263 after keeping the latest release of 4 awards
    published twice; 143 awards worth GBP 967,677,552.86; locality by postcode area."""
    register = read_register(UK_REGISTER, mapping=UK_MAPPING)
    assert len(register) == 263
    assert register["is_local"].isna().sum() == 47
    analysis = spend_analysis(register, by=["sector"])
    total = analysis.sel(sector="all")
    assert float(total["contracts"]) == pytest.approx(143)
    assert float(total["value"]) == pytest.approx(967_677_552.86, rel=1e-12)
    assert float(total["local_share_value"]) == pytest.approx(0.034771, abs=5e-7)
    assert float(total["local_share_count"]) == pytest.approx(0.142765, abs=5e-7)
    assert float(total["unknown_share_value"]) == pytest.approx(0.072095, abs=5e-7)
    assert float(analysis["local_share_value"].sel(sector="services")) == pytest.approx(0.103643, abs=5e-7)


# command line ------------------------------------------------------------------------------


def test_cli_spend_synthetic_prints_shares():
    result = CliRunner().invoke(main, ["spend", str(SHIPPED_REGISTER), "--by", "sector"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "same_city" in lines[0] and "KRW" in lines[0]
    assert lines[-1].split()[0] == "all" and "0.618" in lines[-1]


def test_cli_spend_uk_with_mapping_writes_csv(tmp_path):
    out = tmp_path / "uk.csv"
    args = ["spend", str(UK_REGISTER), "--mapping", str(UK_MAPPING), "--by", "sector", "--by", "method", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, index_col=["sector", "method"])
    assert frame.loc[("all", "all"), "contracts"] == pytest.approx(143)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_cli_spend_bad_input_is_one_line():
    result = CliRunner().invoke(main, ["spend", str(UK_REGISTER)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "missing required columns" in result.output and "Traceback" not in result.output

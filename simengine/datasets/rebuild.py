"""Rebuild every shipped dataset from its raw files: ``python -m simengine.datasets.rebuild``."""

from __future__ import annotations

import importlib

from . import DATASETS, REGIONS, dataset_path, region_path


def main() -> None:
    """Run each dataset's recipe and write its NetCDF file beside this module."""
    for info in DATASETS.values():
        recipe = importlib.import_module(info.recipe)
        path = recipe.write(dataset_path(info.name))
        print(f"{info.name}: wrote {path}")
    from . import regions

    for name in REGIONS:
        print(f"{name}: wrote {regions.write(region_path(name), name)}")


if __name__ == "__main__":
    main()

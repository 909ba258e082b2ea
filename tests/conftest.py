"""Shared fixtures and named tolerances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

#: Tolerance for identities that hold exactly in exact arithmetic (LU round-off on
#: well-conditioned random tables of up to a few dozen sectors).
IDENTITY_RTOL = 1e-9
IDENTITY_ATOL = 1e-9
#: Tolerance for values a published source prints rounded to six decimals.
PUBLISHED_6DP = 5e-7

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


@pytest.fixture(scope="session")
def korea():
    """The shipped korea-2014 table."""
    from simengine import load_table

    return load_table("korea-2014")


@pytest.fixture
def miller_blair_2x2():
    """Miller & Blair (2009), Table 2.3: the two-sector example of section 2.3."""
    from simengine import IOTable

    Z = np.array([[150.0, 500.0], [200.0, 100.0]])
    x = np.array([1000.0, 2000.0])
    f = x - Z.sum(axis=1)
    return IOTable.from_arrays(Z, f, x=x)

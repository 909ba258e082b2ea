"""numba kernels: private, contiguous float64/int64 arrays in, caller-allocated arrays out.

Nothing here validates input; the public wrappers in :mod:`simengine.agents` do that.
Every kernel has a plain-Python twin in ``tests/reference.py``.
"""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    # Report results are cached per store id; SQLite reuses ids after a rolled-back test.
    cache.clear()
    yield
    cache.clear()

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

from emulator_helpers import Api, FakeClock, make_emulator

# Generated specs are large; the time per example is not what these tests measure.
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--regen-golden", action="store_true", help="rewrite golden files (tests/data/previews) instead of comparing"
    )


@pytest.fixture
def clock() -> FakeClock:
    """The emulator tests' clock: it moves only when a test tells it to."""
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> Api:
    """An in-process emulator with 1 s lifecycle steps (modules that need others override it)."""
    return Api(make_emulator(clock))

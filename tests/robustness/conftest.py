import pytest

from tests.robustness.corpus import build_assets


@pytest.fixture(scope="session")
def corpus_assets(tmp_path_factory):
    """The corpus' phantom dataset and tiny trained bundle, built once per session."""
    return build_assets(tmp_path_factory.mktemp("corpus-assets"))

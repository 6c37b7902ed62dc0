"""Shared fixtures: expensive objects are built once per test session."""
from __future__ import annotations

import pytest

from voc.pipeline import Pipeline
from voc.segment import Segmenter


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return Segmenter().warm_up()


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return Pipeline().warm_up()


@pytest.fixture(scope="session")
def rules_pipeline() -> Pipeline:
    """Lexicon and rules only (no statistical sentiment model): checks what the rules do by themselves."""
    return Pipeline(sentiment_model=None).warm_up()

"""Helpers for engine tests: small questionnaires written inline."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.engine import Questionnaire, load_questionnaire

ROOT = Path(__file__).resolve().parents[3]


def yaml_form(text: str, name: str = "inline.yaml") -> Questionnaire:
    return load_questionnaire(textwrap.dedent(text).encode("utf-8"), name)


@pytest.fixture(scope="session")
def skeleton() -> Questionnaire:
    path = ROOT / "questionnaires" / "skeleton.yaml"
    return load_questionnaire(path.read_bytes(), path.name)

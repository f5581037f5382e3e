"""The default screening questionnaire, its raw YAML and its sensitive-words list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.engine import Questionnaire, load_questionnaire

ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRES = ROOT / "questionnaires"
SCREENING = QUESTIONNAIRES / "screening.yaml"
SENSITIVE_WORDS = QUESTIONNAIRES / "checks" / "sensitive_words.yaml"
PERSONAS = Path(__file__).resolve().parent / "personas"
SHIPPED = ("en", "fr", "ar", "fa", "ps", "ur", "ti", "so")


@pytest.fixture(scope="session")
def screening() -> Questionnaire:
    return load_questionnaire(SCREENING.read_bytes(), SCREENING.name)


@pytest.fixture(scope="session")
def raw_screening() -> dict[str, Any]:
    data = yaml.safe_load(SCREENING.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def sensitive_words() -> dict[str, list[str]]:
    data = yaml.safe_load(SENSITIVE_WORDS.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): [str(w) for w in v] for k, v in data.items()}

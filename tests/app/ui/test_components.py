"""The UI kit: Urdu in the bundled Nastaliq face, every bundled font present, and a standard
visual density, so no browser shrinks the 48 px touch targets."""

from __future__ import annotations

from pathlib import Path

import flet as ft

from app.ui.components import FONTS, Kit, family, theme

ASSETS = Path(__file__).resolve().parents[3] / "app" / "assets"


def test_urdu_is_nastaliq_and_arabic_stays_naskh() -> None:
    assert family("ur") == "Noto Nastaliq Urdu"
    assert family("ur", bold=True) == "Noto Nastaliq Urdu Bold"
    assert family("ar") == family("fa") == "Noto Naskh Arabic"


def test_every_bundled_font_is_shipped_with_its_licence() -> None:
    for path in FONTS.values():
        assert (ASSETS / path).stat().st_size > 10_000, path
    assert (ASSETS / "fonts" / "OFL.txt").exists()


def test_standard_density_whatever_the_platform() -> None:
    assert theme("en").visual_density == ft.VisualDensity.STANDARD
    button = Kit("en", 1.0, lambda: None).button("Next", None)
    assert isinstance(button, ft.Button)
    assert button.style is not None
    assert button.style.visual_density == ft.VisualDensity.STANDARD


def test_a_chosen_option_is_said_to_be_chosen() -> None:
    """A screen reader (and a browser test) hears which language or size is chosen, not only
    sees a darker button."""
    kit = Kit("en", 1.0, lambda: None)
    chosen = kit.button("150%", None, ident="setting-text-150", selected=True)
    other = kit.button("100%", None, ident="setting-text-100")
    assert isinstance(chosen, ft.Semantics) and chosen.selected is True
    assert isinstance(other, ft.Semantics) and not other.selected

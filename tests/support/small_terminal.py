"""Checks for a screen on a small terminal (80x24): what Tab focuses is on screen, whole, and
the footer's keys that must stay are shown in full."""

from __future__ import annotations

from typing import Any

from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

SMALL = (80, 24)


def describe(widget: Widget) -> str:
    return f"{type(widget).__name__}#{widget.id}" if widget.id else repr(widget)


def assert_shown(screen: Screen[Any], widget: Widget) -> None:
    """``widget`` lies inside the terminal and is not clipped by the containers around it; a
    widget taller than the room its scrolling container has fills that room (3 lines or more)."""
    geometry = screen.find_widget(widget)
    region, shown = geometry.region, geometry.visible_region
    width, height = screen.app.size
    name = describe(widget)
    assert region.x >= 0 and region.right <= width, f"{name} is cut at the side: {region}"
    assert shown.width == region.width, f"{name} is cut: {region}, shown {shown}"
    if shown.height == region.height and region.bottom <= height:
        return
    room = geometry.clip.height
    assert region.height > room >= 3 and shown.height == room, (
        f"{name} is out of view or cut: {region}, shown {shown} (terminal {width}x{height})"
    )


def assert_inside(screen: Screen[Any], selector: str) -> None:
    """The widget ``selector`` names (a dialog's frame) fits the terminal whole."""
    widget = screen.query_one(selector)
    region = screen.find_widget(widget).region
    width, height = screen.app.size
    assert region.x >= 0 and region.y >= 0, f"{selector} off screen: {region}"
    assert region.right <= width and region.bottom <= height, (
        f"{selector} does not fit {width}x{height}: {region}"
    )


async def tab_through(pilot: Pilot[Any], *, settle: Any = None) -> list[Widget]:
    """Press Tab once per focusable widget of the screen, and once more; after each press the
    focused widget is shown whole. Returns the widgets in the order they got the focus; every
    widget of the focus chain got it."""
    screen = pilot.app.screen
    chain = list(screen.focus_chain)
    assert chain, "nothing on this screen takes the focus"
    reached: list[Widget] = []
    for _ in range(len(chain) + 1):
        await pilot.press("tab")
        if settle is not None:
            await settle(pilot)
        else:
            await pilot.pause()
        focused = pilot.app.focused
        assert focused is not None and focused.screen is screen
        assert_shown(screen, focused)
        reached.append(focused)
    missing = [describe(w) for w in chain if w not in reached]
    assert not missing, f"Tab never reached {missing}"
    return reached


def footer_keys(screen: Screen[Any]) -> dict[str, FooterKey]:
    """The footer's keys shown whole, by description (the ones cut off at the right are left
    out)."""
    try:
        footer = screen.query_one(Footer)
    except NoMatches:
        return {}
    width = screen.app.size.width
    shown: dict[str, FooterKey] = {}
    for key in footer.query(FooterKey):
        geometry = screen.find_widget(key)
        if geometry.visible_region == geometry.region and geometry.region.right <= width:
            shown[key.description] = key
    return shown


def assert_footer_keeps(screen: Screen[Any], *descriptions: str) -> None:
    shown = footer_keys(screen)
    missing = [d for d in descriptions if d not in shown]
    assert not missing, f"the footer lost {missing}; it shows {list(shown)}"

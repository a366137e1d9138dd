"""Snapshots of the main TUI screens at 80x24 (regenerate with --snapshot-update after a deliberate
change, then look at the SVGs in tests/tui/__snapshots__/)."""
from importlib.metadata import version

import pytest

from .test_tui_pilot import app_for, in_repo_root, loaded  # noqa: F401 (autouse fixture)


# Rendering changes between Textual/Rich releases; the snapshots were taken with these.
SNAPSHOT_VERSIONS = {"textual": "8.2.8", "rich": "15.0.0"}
pytestmark = pytest.mark.skipif(
    any(version(p) != v for p, v in SNAPSHOT_VERSIONS.items()),
    reason=f"snapshots were taken with {SNAPSHOT_VERSIONS}; regenerate them for other versions")


def _at_tab(key):
    async def run_before(pilot):
        await loaded(pilot, pilot.app)
        if key:
            await pilot.press(key)
        await pilot.pause(0.2)
    return run_before


@pytest.mark.parametrize("tab", [None, "2", "4", "5", "6"], ids=["summary", "machine", "plan", "findings", "whatif"])
def test_screens(snap_compare, tab):
    assert snap_compare(app_for(), terminal_size=(80, 24), run_before=_at_tab(tab))

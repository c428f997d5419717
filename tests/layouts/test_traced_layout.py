"""The traced NCX orders grid and its download show the same columns in the same order."""

from __future__ import annotations

from layouts.downloads import NCX_COLUMNS
from layouts.traced import TRACED_COLUMNS


def test_the_download_has_the_grids_columns_in_its_order():
    assert [c.field for c in NCX_COLUMNS] == [c["field"] for c in TRACED_COLUMNS]
    assert [c.header for c in NCX_COLUMNS] == [c["headerName"] for c in TRACED_COLUMNS]

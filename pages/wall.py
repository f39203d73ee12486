"""Wall display: KPI tiles, the hot-cell map and the latest incidents; refreshes itself."""

from geo.ui import wall
from geo.ui.auth import require

require("view_wall")
wall.run()

"""The connection type every db/ function takes, whichever engine is behind it.

SQLite is the only engine so far; PostgreSQL (issue 14) joins here, so that code outside db/ names
`db.engine.Connection` and never a driver's class.
"""

from __future__ import annotations

import sqlite3
from typing import TypeAlias

Connection: TypeAlias = sqlite3.Connection

"""newsradar: self-hosted media monitoring. The command line lives in newsradar.cli."""

__version__ = "0.1.0"

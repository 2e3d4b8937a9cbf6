"""The package version (one place: the CLI, run.json, the stage cache and the plugins read it)."""
__version__ = "0.1.0"

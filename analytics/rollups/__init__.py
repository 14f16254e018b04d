"""Rollup services (see ``analytics.rollups.services``); callers import the submodule."""

"""Serve Plotly's bundled ``plotly.min.js`` as a local static file.

The plotly Python package ships the browser bundle in ``plotly/package_data/``. This finder
exposes exactly that one file at ``vendor/plotly/plotly.min.js`` (nothing else of the package
directory), so pages never load Plotly from a CDN and ``collectstatic`` copies it like any
other asset.
"""

from collections.abc import Iterator
from pathlib import Path

from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor/plotly"
FILE_NAME = "plotly.min.js"
PUBLIC_PATH = f"{PREFIX}/{FILE_NAME}"


def plotly_bundle_path() -> Path:
    """Absolute path of ``plotly.min.js`` inside the installed plotly package."""
    import plotly  # imported here so a missing package surfaces as a check error

    return Path(plotly.__file__).resolve().parent / "package_data" / FILE_NAME


class PlotlyFinder(BaseFinder):
    """A staticfiles finder for the single file ``vendor/plotly/plotly.min.js``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bundle = plotly_bundle_path()
        self.storage = FileSystemStorage(location=str(self.bundle.parent))
        # collectstatic and findstatic place a storage's files under its ``prefix``.
        self.storage.prefix = PREFIX

    def check(self, **kwargs) -> list[CheckMessage]:
        if not self.bundle.is_file():
            return [
                Error(
                    f"plotly.min.js was not found at {self.bundle}.",
                    hint="Install the plotly package listed in pyproject.toml.",
                    id="opsdesk.E001",
                )
            ]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str]:
        """The bundle's absolute path for ``vendor/plotly/plotly.min.js``; [] for anything
        else (like Django's own finders)."""
        find_all = self._check_deprecated_find_param(find_all=find_all, **kwargs)
        if path == PUBLIC_PATH and self.bundle.is_file():
            return [str(self.bundle)] if find_all else str(self.bundle)
        return []

    def list(self, ignore_patterns: list[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        if self.bundle.is_file() and not utils.matches_patterns(FILE_NAME, ignore_patterns or []):
            yield FILE_NAME, self.storage

"""The project's one error hierarchy.

Every failure a user can act on is a :class:`SitegenError` whose message is one line naming the
problem and the fix. Only the command-line edge (:mod:`sitegen.cli`) catches them.
"""

from __future__ import annotations


class SitegenError(Exception):
    """Base class: a failure the user can act on; ``str(err)`` is the one-line message."""

    exit_code = 1


class ConfigError(SitegenError):
    """The configuration or the command line is invalid."""

    exit_code = 2


class CatalogueError(SitegenError):
    """A catalogue file is missing, unreadable or holds no usable manga."""


class FetchError(SitegenError):
    """The MangaDex API could not be crawled (unreachable, refusing, or answering nonsense)."""


class ModelError(SitegenError):
    """A model could not be fitted on the catalogue it was given."""


class RenderError(SitegenError):
    """The site could not be written."""

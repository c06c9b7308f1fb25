"""The /admin area: the instance at a glance, accounts, API tokens and the log of admin actions."""

from papertide.web.admin import pages

__all__ = ["pages"]

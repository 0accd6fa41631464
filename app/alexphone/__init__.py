"""Alexphone: a desktop softphone that calls direct whenever any path allows."""

__version__ = "0.1.0"

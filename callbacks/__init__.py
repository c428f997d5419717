"""Callbacks: thin adapters from inputs to engine calls to figures and rows."""

from __future__ import annotations

from callbacks import comments, detail, offers, page_state, peers


def register_callbacks(app, service) -> None:
    """Declare every callback of the page once, each module receiving the service."""
    for module in (page_state, offers, detail, comments, peers):
        module.register(app, service)

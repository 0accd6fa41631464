"""The per-call ALEX driver and the per-phone hub it reports to (docs/ALEX.md)."""

"""engine layer (see ARCHITECTURE.md §2)."""

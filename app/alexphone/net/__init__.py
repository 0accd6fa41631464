"""net layer (see ARCHITECTURE.md §2)."""

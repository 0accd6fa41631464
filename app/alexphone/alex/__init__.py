"""alex layer (see ARCHITECTURE.md §2)."""

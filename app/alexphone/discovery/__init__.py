"""discovery layer (see ARCHITECTURE.md §2)."""

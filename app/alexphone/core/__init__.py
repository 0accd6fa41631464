"""core layer (see ARCHITECTURE.md §2)."""

"""gui layer (see ARCHITECTURE.md §2)."""

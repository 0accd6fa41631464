"""sip layer (see ARCHITECTURE.md §2)."""

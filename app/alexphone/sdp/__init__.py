"""sdp layer (see ARCHITECTURE.md §2)."""

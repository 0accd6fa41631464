"""stun layer (see ARCHITECTURE.md §2)."""

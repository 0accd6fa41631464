"""rtp layer (see ARCHITECTURE.md §2)."""

"""rtp layer (see docs/ARCHITECTURE.md "Layers")."""

"""alex layer (see docs/ARCHITECTURE.md "Layers")."""

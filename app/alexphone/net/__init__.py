"""net layer (see docs/ARCHITECTURE.md "Layers")."""

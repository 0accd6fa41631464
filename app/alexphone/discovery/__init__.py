"""discovery layer (see docs/ARCHITECTURE.md "Layers")."""

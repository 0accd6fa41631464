"""media layer (see docs/ARCHITECTURE.md "Layers")."""

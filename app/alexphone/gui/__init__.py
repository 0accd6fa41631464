"""gui layer (see docs/ARCHITECTURE.md "Layers")."""

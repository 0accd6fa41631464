"""sip layer (see docs/ARCHITECTURE.md "Layers")."""

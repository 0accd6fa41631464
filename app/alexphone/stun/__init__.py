"""stun layer (see docs/ARCHITECTURE.md "Layers")."""

"""sdp layer (see docs/ARCHITECTURE.md "Layers")."""

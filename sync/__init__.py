"""Waymark sync: wire protocol, device client and agency server."""

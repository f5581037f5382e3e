"""The coordinator console: holds the agency private key, opens envelopes, exports records."""

"""Test helpers shared by the integration tests (a misbehaving loopback HTTP server)."""

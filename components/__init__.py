"""Pulumi ComponentResources of flux-bootstrap."""

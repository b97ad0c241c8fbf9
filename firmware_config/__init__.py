"""Site and device configuration: the YAML site format, its loader, and what it generates."""

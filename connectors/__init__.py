"""Built-in source and destination connectors, registered as `cdp` plugins."""

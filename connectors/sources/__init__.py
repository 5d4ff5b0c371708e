"""Built-in source connectors and the sources stage."""

"""Built-in destination connectors and the destinations stage."""

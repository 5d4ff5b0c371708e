"""SQL segments: parsing, validation, materialization with history."""

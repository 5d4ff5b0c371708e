"""The DuckDB warehouse: its layout, the canonical model, segments."""

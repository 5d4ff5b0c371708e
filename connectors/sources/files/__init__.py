"""The built-in ``files`` source: CSV, JSON Lines and Parquet exports, with vendor presets."""

"""The tax administration: earned income by year and source, tax decisions, the withholding rate."""

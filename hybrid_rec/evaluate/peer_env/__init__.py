"""Scripts run by peers in their own environments (no hybrid_rec import: they run where it is not installed)."""

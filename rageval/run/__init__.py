"""Running evaluations: `evaluate` and resumable run directories."""

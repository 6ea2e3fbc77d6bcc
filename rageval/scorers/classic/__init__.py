"""Classic metrics (classification, regression), identical to scikit-learn."""

"""The contract every scorer follows, the registry that finds scorers, and rageval's errors."""

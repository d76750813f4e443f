"""Neural networks for metric learning: models, poolings, losses, batching, training."""

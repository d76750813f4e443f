"""Back ends: turning pairs of embeddings into verification scores."""

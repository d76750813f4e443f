"""Signal analysis: the index of non-stationarity (INS)."""

"""Experiments that return xarray Datasets: memory-signal (SNR) curves, and more to come."""

"""matplotlib figures (Agg backend), one function per figure kind. Plots take xarray Datasets
produced by the tasks and write PNG files; they never compute science themselves."""

import matplotlib

matplotlib.use("Agg")

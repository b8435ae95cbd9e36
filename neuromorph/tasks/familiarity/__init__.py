"""Face familiarity detection on complex-synapse networks (Ji-An, Stefanini, Benna & Fusi,
iScience 26:105856, 2023): network, protocol 2 stream, pattern sources, experiment."""

from .experiment import ModelSpec, ProtocolSpec, familiarity_experiment, run_model, slowest_timescale_items
from .network import FamiliarityNetwork, SynapseModel, published_chain
from .patterns import GenfacePatterns, GenfacePixelPatterns, RandomPatterns, lfw_faces, make_source
from .protocol import probe_ages, protocol2_schedule

__all__ = ["ModelSpec", "ProtocolSpec", "familiarity_experiment", "run_model", "slowest_timescale_items",
           "FamiliarityNetwork", "SynapseModel", "published_chain", "GenfacePatterns", "GenfacePixelPatterns", "RandomPatterns", "lfw_faces",
           "make_source", "probe_ages", "protocol2_schedule"]

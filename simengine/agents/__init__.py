"""The agent model: firms bidding for city contracts and the local circuit over time."""

from .calibrate import CalibrationTargets, calibrate, calibrate_local_entry
from .cells import LEVER_KINDS, METHODS, BudgetCells, Lever
from .circuit import AgentCircuit
from .model import AgentParameters, simulate
from .montecarlo import summarise
from .populations import Firms, Households, generate_firms, identical_firms, load_firms

__all__ = [
    "AgentCircuit",
    "AgentParameters",
    "BudgetCells",
    "Lever",
    "LEVER_KINDS",
    "METHODS",
    "Firms",
    "Households",
    "generate_firms",
    "identical_firms",
    "load_firms",
    "simulate",
    "summarise",
    "CalibrationTargets",
    "calibrate",
    "calibrate_local_entry",
]

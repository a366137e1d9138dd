"""llmdoctor: will this model run on this machine, with which settings, and what will bite."""

__version__ = "0.1.0"

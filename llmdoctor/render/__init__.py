"""Renderers read only the Report; they never probe and never compute."""

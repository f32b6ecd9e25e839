"""Labeling-function modules for the shipped example datasets."""

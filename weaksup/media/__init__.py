"""Media as rows: features an LF can read from images, recordings and windows of a time series.

Install the extras a modality needs: ``pip install "weaksup[image]"`` (scikit-image, Pillow) or
``pip install "weaksup[audio]"`` (soundfile, librosa); time-series windows need only pandas.
"""

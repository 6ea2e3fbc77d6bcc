"""Dense vision scorers: semantic segmentation, image quality, depth and generative metrics.

Each family is a numpy functional core (``*_functional.py``) under thin scorer classes; pixel data
stays in numpy arrays from the field check to the statistics.
"""

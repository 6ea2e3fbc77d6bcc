import os
import sys

# test helper modules (reference implementations, fixtures) live beside the tests
sys.path.insert(0, os.path.dirname(__file__))

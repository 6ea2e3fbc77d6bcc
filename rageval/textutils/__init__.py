"""Text utilities shared by judges and scorers: sentence splitting (`sentences`), the bit-parallel
longest common subsequence (`lcs`) and a cached Porter stemmer (`stemming`).

The lowest layer of the package after `rageval.core`: it imports nothing else from rageval, so
that a judge and a scorer can share a piece without one importing the other.
"""

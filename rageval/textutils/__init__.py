"""Text utilities shared by judges and scorers: sentence splitting (`sentences`), the bit-parallel
longest common subsequence (`lcs`), nltk's Porter stemmer rewritten for speed (`porter`, cached in
`stemming`) and batch n-gram match counts in numpy (`ngrams`, BLEU's and chrF's core).

The lowest layer of the package after `rageval.core`: it imports nothing else from rageval, so
that a judge and a scorer can share a piece without one importing the other.
"""

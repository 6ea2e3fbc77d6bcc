"""Text metrics identical to their references: SQuAD EM/F1, sacrebleu BLEU/chrF/TER, rouge-score, nltk METEOR,
bert-score."""

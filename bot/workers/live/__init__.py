"""/live and /watch messages kept fresh (refresh), and taken over when their process is gone (adoption)."""

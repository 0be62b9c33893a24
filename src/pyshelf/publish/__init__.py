"""Publishing: check local distributions, upload them without overwriting, manage releases
(yank, delete) and read the published index back."""

"""Find runs under a root and read every common training-log format into one frame."""

"""curvedoc's front ends: the Dash app (``pages/``) and the command line (``cli``)."""

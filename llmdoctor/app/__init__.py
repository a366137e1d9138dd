"""The application: the command line, the pipeline that wires probe → read → plan → rules → report, and the
TUI session. The only layer that imports all the others."""

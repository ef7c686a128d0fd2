"""Reading what people type, plain or LaTeX, into SymPy without ever evaluating it as Python."""

"""symderiv: back-propagation derived step by step with SymPy, rendered to LaTeX and Markdown."""

__version__ = "0.1.0"

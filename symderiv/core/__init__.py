"""The vocabulary every layer shares: errors, names, functions and costs, the network spec and its
SymPy network.
"""

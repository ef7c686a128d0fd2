"""Numbers: one evaluator, values for the symbols, gradient descent, gradient checks and worked
examples.
"""

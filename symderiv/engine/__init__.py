"""Back-propagation as data: the reverse-mode derivation of every delta and gradient."""

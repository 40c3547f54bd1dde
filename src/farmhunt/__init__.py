"""farmhunt: find fraudulent remote IT workers and the laptop farms that hide them."""

__version__ = "0.1.0"

"""Block Studio: compose Keras blocks, watch build() happen, export clean code."""

__version__ = "0.1.0"

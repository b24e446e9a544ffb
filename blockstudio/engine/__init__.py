"""Everything that touches Keras: catalog, shape inference, code generation, the build tracer.

Importing this package does not import TensorFlow; the modules that need Keras import it.
"""

import os

# TensorFlow's C++ start-up chatter would bury our own messages; users can still override it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

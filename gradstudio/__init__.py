"""GradStudio: see and understand autograd."""

__version__ = "0.1.0"

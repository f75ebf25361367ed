"""Docked panels: palette, inspector, gradients, ledger, chain rule, training, messages."""

"""The node editor canvas: a QGraphicsScene mirroring the GraphModel, and its view."""

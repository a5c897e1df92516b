"""order-guard SQL source plugin."""

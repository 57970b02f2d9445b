"""Output: formats, colours, timestamps, highlight, sanitising, and the stdout writer."""

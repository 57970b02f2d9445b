"""A Go ``text/template`` implementation with stern's function table."""

"""The ``renpsim`` command line: a thin front end over the library."""

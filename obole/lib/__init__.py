"""Django-free helpers, each with tests of its own."""

"""emostudy: the library behind the executable study book on facial emotion recognition."""

__version__ = "0.1.0"

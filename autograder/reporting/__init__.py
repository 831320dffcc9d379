"""The class report of a grading run (``autograder report ASSIGNMENT``): :mod:`.build` writes it from what
:mod:`.collect` reads back, with :mod:`.similarity`, :mod:`.charts`, :mod:`.page`, :mod:`.canvas`; the book
sections per named mistake are in :mod:`.sections`, every user-facing string in :mod:`.strings`."""

"""Authors: names matched after normalisation, and what an author page says about a name's papers."""

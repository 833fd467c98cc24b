"""One module per menu area: page states (thin) and their components."""

"""What services, the engine and pages share, with no Reflex and no engine: errors, results, audit rows,
the clock, money and role sets. Imports only models and the standard library."""

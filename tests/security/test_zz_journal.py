"""Run last: the change journal the cases were judged by missed nothing. Every table whose rows
differ from when the suite began (row count and checksum of every row) must have had its writes
journaled; a write the triggers did not see would have let a case pass unseen."""


def test_every_change_to_the_database_was_journaled(journal):
    assert not journal.unjournaled_changes()

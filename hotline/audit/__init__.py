"""The append-only audit log: who viewed, exported, edited or signed in, when and from where."""

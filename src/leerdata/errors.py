"""The one exception type the CLI turns into a single clear error line."""


class LeerdataError(RuntimeError):
    """A failure the user can act on; the message says what to do."""

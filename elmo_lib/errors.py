"""Errors a person can act on that are raised deep in training (torch-free, so the CLI catches them cheaply)."""


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: unreadable, or made for another vocabulary or other sizes."""


class TrainingError(RuntimeError):
    """Training that cannot go on (a loss that is no longer a finite number); the message names the settings."""


class ReplicateError(ValueError):
    """Replicate records that cannot be made or joined (replicate 1 asked of `elmo-lib replicate`, another profile,
    other rows, a replicate twice or missing); the message names the file or the fix."""

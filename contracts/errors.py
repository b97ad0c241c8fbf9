"""The one exception the contract raises."""

from typing import Literal

ProblemKind = Literal["topic", "oversized", "malformed", "schema", "mismatch"]


class ContractError(ValueError):
    """A topic or payload does not follow the freeseat wire contract; the message says how.

    `kind` groups problems for counting (metrics), the message is for people.
    """

    def __init__(self, message: str, kind: ProblemKind = "schema") -> None:
        super().__init__(message)
        self.kind: ProblemKind = kind

"""The one exception the contract raises."""


class ContractError(ValueError):
    """A topic or payload does not follow the freeseat wire contract; the message says how."""

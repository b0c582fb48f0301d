"""The states of an applied run and the transitions between them, declared in one place.

A run's record (:class:`~harness.provision.manifest.Manifest`) moves only along :data:`TRANSITIONS`;
every save checks the move against it, so a code path that would, say, mark a destroyed run
applied again fails loudly instead of making ``down`` believe resources are gone (or alive).

========== ==================================================================================
state      meaning
========== ==================================================================================
applying   ``up`` or ``change`` is applying; resources may exist (the record comes first)
applied    the topology is applied; scenarios may run
failed     an apply failed or was interrupted and its cleanup did not finish: resources may
           remain; ``harness down`` destroys them
destroyed  destroyed (or nothing was ever created); final
gone       the emulator that held the resources died, and they with it; final
========== ==================================================================================
"""

from __future__ import annotations

from harness.errors import HarnessError

APPLYING = "applying"
APPLIED = "applied"
FAILED = "failed"
DESTROYED = "destroyed"
GONE = "gone"

#: States in which a run may still own resources (``down`` acts on them).
LIVE = (APPLIED, APPLYING, FAILED)
FINAL = (DESTROYED, GONE)

#: state -> the states it may move to (None: a new record). A state may be saved again unchanged
#: (an endpoint re-targeted, the names planned by a change) where it is listed as its own successor.
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({APPLYING}),  # up writes the record before anything is created
    APPLYING: frozenset({APPLYING, APPLIED, FAILED, DESTROYED, GONE}),
    APPLIED: frozenset({APPLIED, APPLYING, FAILED, DESTROYED, GONE}),  # applying again: a change
    FAILED: frozenset({FAILED, DESTROYED, GONE}),
    DESTROYED: frozenset(),
    GONE: frozenset(),
}


class RunStateError(HarnessError):
    """A run record was asked to move along a transition that is not declared."""


def check_transition(run_id: str, old: str | None, new: str) -> None:
    """Raise :class:`RunStateError` unless ``old`` → ``new`` is a declared transition."""
    allowed = TRANSITIONS.get(old)
    if allowed is None or new not in allowed:
        was = "a new record" if old is None else old
        raise RunStateError(
            f"run {run_id}: its record cannot go from {was} to {new} (harness.provision.run_state.TRANSITIONS); "
            "this is a bug in the harness: please report it with `harness runs` and the command that did it."
        )

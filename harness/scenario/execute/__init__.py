"""Running a scenario against an applied run: sends, consumers and waiting.

:mod:`.runner` orchestrates one scenario (lending its expectations a :mod:`.run_context`): :mod:`.access_step` judges every hop before sending
(:mod:`.denial_calls` makes the calls that must be refused on AWS), :mod:`.send` and
:mod:`.send_pool` publish on schedule, :mod:`.receive_pool` (paced by :mod:`.window`) and
:mod:`.watch` receive and verify, :mod:`.outage` takes an endpoint away for a subscription-DLQ
check, :mod:`.budget` bounds the memory of transfers in flight and :mod:`.settle` waits on AWS
until every subscription delivers. What they gather is judged by :mod:`harness.scenario.judge`.
"""

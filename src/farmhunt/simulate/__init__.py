"""The company simulator: a remote workforce with hidden laptop farms, as raw telemetry.

No public data set of this fraud exists. The simulator builds a company (workers,
devices, homes, networks, hiring records), hides laptop farms and lone impostors in it
alongside benign look-alikes, and writes the raw files a real company would hand over,
in the vendors' own formats, with a ``truth.json`` of what was injected.

Stages: :mod:`config` (knobs) → :mod:`world` (reference places, networks, names) →
:mod:`company` (who works where, on which device, through which network) →
:mod:`behaviour` (what each worker does each day, as :mod:`activities`) → ``writers``
(activities rendered as vendor records).
"""

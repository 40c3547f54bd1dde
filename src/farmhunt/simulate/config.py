"""The simulator's knobs: company size, period, seed, and how careful the impostors are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date

from farmhunt.suggest import closest


@dataclass(frozen=True)
class Intensity:
    """How visible fraudulent behaviour is; each rate is a probability per worker or day.

    ``blatant`` impostors do everything the public reporting describes; ``subtle`` ones
    keep the tools off most days, overlap the claimed working day, and rarely slip.
    """

    name: str
    operator_hours_share: float
    """Share of a fraudulent worker's sessions held at the operators' hours (UTC+8/+9)."""
    remote_tool_daily: float
    """Chance per day that the farm's remote-access tool shows up in endpoint telemetry."""
    kvm_share: float
    """Share of farm laptops driven through a hardware IP-KVM instead of software."""
    vpn_login: float
    """Chance per sign-in that it goes through a VPN/hosting exit rather than the farm IP."""
    operator_slip: float
    """Chance per day of one sign-in straight from the operators' own network abroad."""
    concurrent_calls: float
    """Chance per day of several video-call clients running at once."""
    jiggler: float
    """Chance that a farm laptop runs a mouse jiggler."""
    exfil: float
    """Chance per worker that exfiltration happens in the last part of the period."""
    hiring_reuse: float
    """Chance that a fraudulent hire reuses a phone, payroll account or ship address."""
    voip_phone: float
    """Chance that a fraudulent hire gave a VoIP number."""
    ship_elsewhere: float
    """Chance that a fraudulent hire's laptop went to an address other than home."""
    rdp_inbound: float
    """Chance per day of an inbound RDP session from the operators."""

    def rates(self) -> dict[str, float]:
        """Every rate by name (what truth.json records as the effective intensity)."""
        return {k: v for k, v in asdict(self).items() if k != "name"}

    def overridden(self, settings: dict[str, float]) -> Intensity:
        """This intensity with some rates replaced; its name says it was changed
        (``default+remote_tool_daily=0.2``) so truth.json and reports cannot mix it up
        with the preset."""
        if not settings:
            return self
        label = ",".join(f"{k}={v:g}" for k, v in sorted(settings.items()))
        return replace(self, name=f"{self.name}+{label}", **settings)


RATE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Intensity) if f.name != "name")
"""The rates ``--set NAME=VALUE`` can override."""


def parse_rate_settings(items: Iterable[str]) -> dict[str, float]:
    """``NAME=VALUE`` strings as rates; ValueError naming the valid names (and the closest
    one to a typo) or the allowed range. A name given twice keeps its last value, as
    command-line options usually do."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ValueError(f"--set {item!r}: expected NAME=VALUE, e.g. remote_tool_daily=0.2")
        if name not in RATE_NAMES:
            close = closest(name, RATE_NAMES)
            hint = f" (did you mean {close}?)" if close else ""
            raise ValueError(
                f"--set {item!r}: unknown rate {name!r}{hint}; valid names: "
                + ", ".join(RATE_NAMES)
            )
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"--set {item!r}: {raw!r} is not a number") from None
        if not 0.0 <= value <= 1.0:  # also rejects nan
            raise ValueError(f"--set {item!r}: {name} is a probability, between 0 and 1")
        out[name] = value
    return out


INTENSITIES: dict[str, Intensity] = {
    "blatant": Intensity("blatant", 0.9, 0.9, 0.3, 0.6, 0.15, 0.6, 0.8, 0.9, 0.9, 0.9, 1.0, 0.5),
    "default": Intensity("default", 0.7, 0.6, 0.25, 0.4, 0.05, 0.35, 0.5, 0.7, 0.7, 0.6, 0.8, 0.25),
    "subtle": Intensity("subtle", 0.35, 0.2, 0.2, 0.2, 0.01, 0.12, 0.2, 0.35, 0.35, 0.3, 0.5, 0.08),
}


MIN_HONEST = 4
"""Honest workers every simulated company has at least."""


@dataclass(frozen=True)
class SimConfig:
    workers: int = 60
    days: int = 14
    seed: int = 7
    farms: int = 2
    farm_size: tuple[int, int] = (3, 5)
    lone_impostors: int = 1
    intensity: Intensity = field(default_factory=lambda: INTENSITIES["default"])
    start: date = date(2025, 11, 3)
    confounders: bool = True
    events_target: int | None = None
    """When set, benchmarks size the run by events: the writer stops at this count."""
    scenario: str = "default"

    def needed_workers(self) -> int:
        """Fewest workers that hold the largest farms, the lone impostors and the few
        honest workers the company is built around (managers, IT support)."""
        return self.farms * self.farm_size[1] + self.lone_impostors + MIN_HONEST

    def check(self) -> None:
        """ValueError when the company is too small for its farms: the simulator never
        silently grows it (a run sized by ``--workers`` must have that many workers)."""
        needed = self.needed_workers()
        if self.workers < needed:
            raise ValueError(
                f"--workers {self.workers} is too few for {self.farms} farm(s) of up to "
                f"{self.farm_size[1]} workers, {self.lone_impostors} lone impostor(s) and "
                f"{MIN_HONEST} honest workers: use --workers {needed} or more, or fewer --farms"
            )

    def with_scenario(self, name: str) -> SimConfig:
        """Apply a named scenario: default, blatant, subtle, benign (no fraud at all)."""
        if name == "benign":
            return replace(self, farms=0, lone_impostors=0, scenario=name)
        if name in INTENSITIES:
            return replace(self, intensity=INTENSITIES[name], scenario=name)
        raise ValueError(f"unknown scenario {name!r}: default, blatant, subtle or benign")

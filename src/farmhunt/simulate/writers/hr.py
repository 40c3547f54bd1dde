"""The HR roster and the device inventory as CSV exports."""

from __future__ import annotations

import csv

from farmhunt.simulate.activities import Activity
from farmhunt.simulate.writers import Writer

ROSTER_COLUMNS = [
    "employee_id",
    "full_name",
    "email",
    "department",
    "title",
    "employment_type",
    "hire_date",
    "work_country",
    "work_region",
    "work_city",
    "timezone",
    "home_address",
    "ship_address",
    "phone",
    "payroll_account",
    "manager_email",
]
INVENTORY_COLUMNS = [
    "asset_id",
    "serial_number",
    "hostname",
    "owner_email",
    "os",
    "shipped_to",
    "shipped_on",
    "status",
]
PERSONAL_DEVICE_STATUS = "Not shipped - personal device requested"
"""What IT records for a laptop kept back because the hire asked to use their own computer."""


class HrWriter(Writer):
    def start(self) -> None:
        roster = csv.writer(self.file("hr/roster.csv"), lineterminator="\n")
        roster.writerow(ROSTER_COLUMNS)
        inventory = csv.writer(self.file("hr/device_inventory.csv"), lineterminator="\n")
        inventory.writerow(INVENTORY_COLUMNS)
        for w in sorted(self.company.workers, key=lambda w: w.worker_id):
            roster.writerow(
                [
                    w.worker_id,
                    w.full_name,
                    w.email,
                    w.department,
                    w.title,
                    w.employment_type,
                    w.hire_date.isoformat(),
                    w.country,
                    w.region,
                    w.city,
                    w.timezone,
                    w.home_address,
                    w.ship_address,
                    w.phone,
                    w.payroll_account,
                    w.manager_email,
                ]
            )
            d = w.device
            inventory.writerow(
                [
                    d.asset_id,
                    d.serial,
                    d.hostname,
                    d.owner_email,
                    {
                        "windows": "Windows 11 Enterprise",
                        "macos": "macOS 15.1",
                        "linux": "Ubuntu 24.04 LTS",
                    }[d.os],
                    d.shipped_to,
                    "" if d.personal_device else d.shipped_on.isoformat(),
                    PERSONAL_DEVICE_STATUS if d.personal_device else "Deployed",
                ]
            )
            self.count += 2

    def write(self, activity: Activity) -> None:
        return None

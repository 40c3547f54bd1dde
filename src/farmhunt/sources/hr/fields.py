"""The columns farmhunt reads from an HR roster or a device inventory, and their aliases.

HR systems name the same column a dozen ways ("Employee #", "Worker ID", "Personnel
Number"); each canonical field below lists the header spellings recognised without any
configuration. Headers are compared by :func:`header_key` (case, spacing and
punctuation ignored), so ``Hire Date``, ``hire_date`` and ``hireDate`` are one name.
A column-mapping file (:mod:`farmhunt.sources.hr.mapping`) overrides these guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

FieldKind = Literal["text", "id", "email", "date", "timezone", "phone", "country"]


@dataclass(frozen=True)
class Field:
    """One canonical column of the ``workers`` or ``devices`` table."""

    name: str
    kind: FieldKind
    description: str
    aliases: tuple[str, ...] = ()
    join: str = " "
    """How the values are joined when a mapping names several headers for this field."""


@lru_cache(maxsize=8192)
def header_key(header: str) -> str:
    """A header reduced to lowercase letters and digits: ``"Employee #"`` → ``"employeenumber"``.

    Spaces, underscores, punctuation and case do not count, so ``Hire Date``,
    ``hire_date``, ``HIRE-DATE`` and ``hireDate`` are one header. Cached: sniffing
    every file of an import reduces the same alias lists over and over.
    """
    text = header.strip().lstrip("\ufeff").lower()
    text = text.replace("#", "number").replace("&", "and")
    return re.sub(r"[\W_]+", "", text)


_ADDRESS = ", "

ROSTER_FIELDS: tuple[Field, ...] = (
    Field(
        "employee_id",
        "id",
        "The worker's id in the HR system; farmhunt's worker id.",
        (
            "Employee ID",
            "Employee Number",
            "Employee No",
            "Employee #",
            "Emp ID",
            "Emp No",
            "Employee Code",
            "Worker ID",
            "Person ID",
            "Personnel Number",
            "Staff ID",
            "Staff Number",
            "Associate ID",
            "ID",
        ),
    ),
    Field(
        "full_name",
        "text",
        "Full name (or first name, else preferred name, + last name when split).",
        (
            "Full Name",
            "Name",
            "Legal Name",
            "Legal Full Name",
            "Employee Name",
            "Employee Full Name",
            "Worker Name",
            "Worker",
            "Display Name",
            "Employee",
        ),
    ),
    Field(
        "first_name",
        "text",
        "First (given) name.",
        (
            "First Name",
            "Given Name",
            "Legal First Name",
            "Legal Name - First Name",
            "Firstname",
            "Forename",
        ),
    ),
    Field(
        "preferred_name",
        "text",
        "Preferred first name.",
        ("Preferred Name", "Preferred First Name", "Nickname", "Known As"),
    ),
    Field(
        "last_name",
        "text",
        "Last (family) name.",
        ("Last Name", "Surname", "Family Name", "Legal Last Name", "Legal Name - Last Name"),
    ),
    Field(
        "email",
        "email",
        "Work email address.",
        (
            "Email",
            "Work Email",
            "Email Address",
            "Work Email Address",
            "Primary Work Email",
            "Email - Primary Work",
            "Business Email",
            "Company Email",
            "Corporate Email",
            "Office Email",
            "E-mail",
            "Mail",
        ),
    ),
    Field(
        "personal_email",
        "email",
        "Personal (home) email address.",
        (
            "Personal Email",
            "Personal Email Address",
            "Home Email",
            "Primary Home Email",
            "Email - Primary Home",
            "Private Email",
        ),
    ),
    Field(
        "username",
        "text",
        "Directory login (sAMAccountName, UPN, Okta login) when the export has it.",
        (
            "Username",
            "User Name",
            "Login",
            "Login ID",
            "Network ID",
            "AD Username",
            "sAMAccountName",
            "SAM Account Name",
            "UPN",
            "User Principal Name",
            "Okta Login",
            "Account Name",
        ),
    ),
    Field(
        "github_login",
        "text",
        "GitHub login when the export has it.",
        ("GitHub", "GitHub Username", "GitHub Login", "GitHub Handle", "GitHub Account"),
    ),
    Field(
        "department",
        "text",
        "Department or organization.",
        (
            "Department",
            "Dept",
            "Department Name",
            "Supervisory Organization",
            "Org Unit",
            "Organizational Unit",
            "Team",
        ),
    ),
    Field(
        "title",
        "text",
        "Job title.",
        (
            "Title",
            "Job Title",
            "Business Title",
            "Position",
            "Position Title",
            "Job Profile",
            "Role",
            "Designation",
        ),
    ),
    Field(
        "employment_type",
        "text",
        "Employee, contractor, intern … as the export words it.",
        (
            "Employment Type",
            "Worker Type",
            "Employee Type",
            "Employment Status",
            "Contract Type",
            "Worker Category",
            "Time Type",
        ),
    ),
    Field(
        "employment_status",
        "text",
        "Active, terminated, on leave … as the export words it.",
        ("Status", "Employee Status", "Worker Status", "Active Status", "Active"),
    ),
    Field(
        "hire_date",
        "date",
        "Hire (start) date, at 00:00 UTC.",
        (
            "Hire Date",
            "Start Date",
            "Date of Hire",
            "Date Hired",
            "Hired On",
            "Original Hire Date",
            "Employment Start Date",
            "Joining Date",
            "Join Date",
            "Date Joined",
        ),
    ),
    Field(
        "termination_date",
        "date",
        "Termination (end) date, at 00:00 UTC.",
        (
            "Termination Date",
            "Term Date",
            "End Date",
            "Separation Date",
            "Exit Date",
            "Last Day of Work",
            "Last Day",
        ),
    ),
    Field(
        "work_location",
        "text",
        'Work location or office as free text ("Remote - Austin, TX").',
        ("Location", "Work Location", "Primary Work Location", "Office", "Office Location", "Site"),
    ),
    Field(
        "work_country",
        "country",
        "Country the worker is employed to work from (ISO 3166-1 alpha-2 where given so).",
        (
            "Work Country",
            "Work Country Code",
            "Country",
            "Country Code",
            "Location Country",
            "Work Location Country",
            "Location Address - Country",
            "Office Country",
        ),
    ),
    Field(
        "work_region",
        "text",
        "State, province or region of work.",
        (
            "Work Region",
            "Work State",
            "Work State/Province",
            "State",
            "Region",
            "Province",
            "State/Province",
            "Location State",
            "Location Address - State/Province",
        ),
    ),
    Field(
        "work_city",
        "text",
        "City of work.",
        ("Work City", "City", "Location City", "Office City", "Location Address - City"),
    ),
    Field(
        "timezone",
        "timezone",
        "The worker's IANA time zone (America/Chicago).",
        (
            "Time Zone",
            "Timezone",
            "TZ",
            "Work Time Zone",
            "Working Time Zone",
            "IANA Time Zone",
            "Time Zone Name",
            "Timezone ID",
        ),
    ),
    Field(
        "home_address",
        "text",
        "Home address as one line.",
        (
            "Home Address",
            "Primary Home Address",
            "Address",
            "Residential Address",
            "Residence Address",
            "Permanent Address",
        ),
        join=_ADDRESS,
    ),
    Field(
        "ship_address",
        "text",
        "Address the company laptop was shipped to.",
        (
            "Ship Address",
            "Shipping Address",
            "Ship To",
            "Ship To Address",
            "Ship-To Address",
            "Laptop Ship Address",
            "Laptop Shipping Address",
            "Equipment Shipping Address",
            "Equipment Ship To",
            "Device Shipping Address",
            "Delivery Address",
            "Mailing Address",
        ),
        join=_ADDRESS,
    ),
    Field(
        "phone",
        "phone",
        "Phone number as given (mobile preferred when the export has several).",
        (
            "Phone",
            "Phone Number",
            "Mobile Phone",
            "Mobile",
            "Mobile Number",
            "Primary Mobile Phone",
            "Phone - Primary Mobile",
            "Cell Phone",
            "Cell",
            "Personal Phone",
            "Personal Mobile",
            "Primary Phone",
            "Contact Number",
            "Telephone",
            "Home Phone",
            "Work Phone",
            "Primary Work Phone",
        ),
    ),
    Field(
        "payroll_account",
        "text",
        "Bank account paid into (or a hash of it).",
        (
            "Payroll Account",
            "Payroll Account Hash",
            "Payroll Bank Account",
            "Bank Account",
            "Bank Account Number",
            "Bank Account Hash",
            "Bank Account (Hashed)",
            "Account Number",
            "Direct Deposit Account",
            "Direct Deposit Account Number",
            "Deposit Account",
            "IBAN",
        ),
    ),
    Field(
        "manager_email",
        "email",
        "Manager's work email.",
        (
            "Manager Email",
            "Manager Email Address",
            "Manager Work Email",
            "Manager - Email - Primary Work",
            "Supervisor Email",
            "Supervisor Work Email",
            "Reports To Email",
            "Reporting To Email",
            "Line Manager Email",
        ),
    ),
    Field(
        "manager_name",
        "text",
        "Manager's name.",
        (
            "Manager",
            "Manager Name",
            "Worker's Manager",
            "Supervisor",
            "Supervisor Name",
            "Reports To",
            "Reporting To",
            "Line Manager",
        ),
    ),
    Field(
        "snapshot_date",
        "date",
        "The date the export describes; becomes the row's `time`.",
        (
            "Snapshot Date",
            "As Of Date",
            "As Of",
            "Data As Of",
            "Report Date",
            "Report Run Date",
            "Export Date",
            "Extract Date",
        ),
    ),
)

DEVICE_FIELDS: tuple[Field, ...] = (
    Field(
        "asset_id",
        "id",
        "Asset tag or inventory number.",
        (
            "Asset ID",
            "Asset Tag",
            "Asset Tag Number",
            "Asset Number",
            "Asset No",
            "Asset #",
            "Asset",
            "Tag",
            "Inventory Number",
            "Equipment ID",
            "ID",
        ),
    ),
    Field(
        "serial_number",
        "text",
        "Hardware serial number.",
        (
            "Serial Number",
            "Serial",
            "Serial No",
            "Serial Num",
            "SN",
            "Service Tag",
            "Hardware Serial",
            "System Serial Number",
            "Device Serial Number",
        ),
    ),
    Field(
        "hostname",
        "text",
        "Computer name.",
        (
            "Hostname",
            "Host Name",
            "Host",
            "Computer Name",
            "Computer",
            "Device Name",
            "Machine Name",
            "Endpoint Name",
            "Asset Name",
        ),
    ),
    Field(
        "device_uid",
        "text",
        "Device id from the management system (hardware UUID, Intune/Entra device id).",
        (
            "Device ID",
            "Device UID",
            "Hardware UUID",
            "UUID",
            "UDID",
            "Hardware ID",
            "Intune Device ID",
            "Azure AD Device ID",
            "Entra Device ID",
        ),
    ),
    Field(
        "owner_email",
        "email",
        "Email of the worker the device is assigned to.",
        (
            "Owner Email",
            "Owner UPN",
            "Assigned To Email",
            "Assigned User Email",
            "Assignee Email",
            "User Email",
            "Employee Email",
            "Primary User UPN",
            "Primary User Email",
            "User Principal Name",
            "Email",
            "Email Address",
        ),
    ),
    Field(
        "owner",
        "text",
        "Who the device is assigned to when not given as an email (name, login, employee id).",
        (
            "Owner",
            "Assigned To",
            "Assigned User",
            "Assignee",
            "Checked Out To",
            "Primary User",
            "Custodian",
            "User",
            "Username",
            "Employee",
            "Employee ID",
            "Full Name",
        ),
    ),
    Field("os", "text", "Operating system.", ("OS", "Operating System", "Platform", "OS Name")),
    Field(
        "model",
        "text",
        "Hardware model.",
        ("Model", "Device Model", "Hardware Model", "Model Name", "Model Identifier"),
    ),
    Field(
        "shipped_to",
        "text",
        "Address the device was shipped to.",
        (
            "Shipped To",
            "Shipped To Address",
            "Ship To",
            "Ship To Address",
            "Ship-To Address",
            "Shipping Address",
            "Delivery Address",
            "Destination Address",
            "Sent To",
        ),
        join=_ADDRESS,
    ),
    Field(
        "shipped_on",
        "date",
        "Date the device was shipped, at 00:00 UTC.",
        ("Shipped On", "Ship Date", "Shipped Date", "Date Shipped", "Shipping Date", "Sent On"),
    ),
    Field(
        "device_status",
        "text",
        "Asset status (deployed, in stock, lost …).",
        ("Status", "Asset Status", "Device Status", "Lifecycle Status"),
    ),
    Field(
        "snapshot_date",
        "date",
        "The date the export describes; becomes the row's `time`.",
        ("Snapshot Date", "As Of Date", "As Of", "Report Date", "Export Date", "Extract Date"),
    ),
)

ROSTER_BY_NAME = {f.name: f for f in ROSTER_FIELDS}
DEVICE_BY_NAME = {f.name: f for f in DEVICE_FIELDS}

ROSTER_SIGNATURE = frozenset(
    {
        "hire_date",
        "termination_date",
        "department",
        "title",
        "employment_type",
        "employment_status",
        "manager_email",
        "manager_name",
        "payroll_account",
        "home_address",
        "ship_address",
        "timezone",
        "phone",
        "work_country",
        "work_location",
        "personal_email",
    }
)
"""Fields that make a CSV with a worker id and a name or email an HR roster."""

DEVICE_SIGNATURE = frozenset({"owner_email", "owner", "shipped_to", "shipped_on"})
"""Fields that make a CSV with an asset tag or serial a device inventory."""

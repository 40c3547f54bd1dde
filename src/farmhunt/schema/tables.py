"""Every table of the store, defined once.

OCSF event tables share the base-event columns (:data:`BASE`), then add the attributes of
their class that farmhunt's sources fill. Adding a column here is all it takes for
parsers to fill it, for the store to keep it and for ``docs/schema.md`` to document it.
"""

from __future__ import annotations

from dataclasses import replace

from farmhunt.schema.model import Column, ColumnType, Table


def _cols(*specs: tuple[str, ColumnType, str]) -> tuple[Column, ...]:
    return tuple(Column(n, t, d) for n, t, d in specs)


def _mark_extensions(
    name: str, cols: tuple[Column, ...], marks: tuple[str, ...]
) -> tuple[Column, ...]:
    """Mark the columns named in ``marks`` (a name, or a prefix ending in ".") as extensions.

    A mark that matches no column is an error: the list must stay true to the table.
    """
    for mark in marks:
        if not any(
            c.name == mark or (mark.endswith(".") and c.name.startswith(mark)) for c in cols
        ):
            raise ValueError(f"table {name}: extension mark {mark!r} matches no column")

    def marked(column: Column) -> bool:
        return any(
            column.name == m or (m.endswith(".") and column.name.startswith(m)) for m in marks
        )

    return tuple(replace(c, extension=True) if marked(c) else c for c in cols)


BASE = _cols(
    ("time", "timestamp", "When the event happened (UTC, millisecond precision)."),
    ("class_uid", "int", "OCSF event class id."),
    ("class_name", "string", "OCSF event class name."),
    ("category_uid", "int", "OCSF category id."),
    ("category_name", "string", "OCSF category name."),
    ("activity_id", "int", "OCSF activity id within the class."),
    ("activity_name", "string", "OCSF activity name."),
    ("type_uid", "bigint", "class_uid * 100 + activity_id."),
    ("severity_id", "int", "OCSF severity id (1 informational … 6 fatal; 0 unknown)."),
    ("status_id", "int", "OCSF status id: 1 success, 2 failure, 0 unknown."),
    ("status", "string", "Status as the source words it."),
    ("status_detail", "string", "Source's reason or result code."),
    ("message", "string", "Human-readable summary from the source."),
    ("timezone_offset", "int", "The event's original UTC offset in minutes, when known."),
    ("metadata.uid", "string", "farmhunt event id: stable across re-imports of the same file."),
    ("metadata.version", "string", "OCSF schema version."),
    ("metadata.product.name", "string", "Product that produced the log (osquery, Sysmon…)."),
    ("metadata.product.vendor_name", "string", "Vendor of that product."),
    ("metadata.log_name", "string", "Log, channel or query name within the product."),
    ("metadata.event_code", "string", "Source's own event id (Windows EventID, Okta eventType…)."),
    ("metadata.original_time", "string", "The timestamp exactly as the source wrote it."),
    ("device.hostname", "string", "Host the event was recorded on."),
    ("device.uid", "string", "Stable host id (osquery host identifier, hardware UUID)."),
    ("device.os.name", "string", "Operating system of the host."),
    ("actor.user.name", "string", "User who performed the action."),
    ("actor.user.uid", "string", "Id of that user (SID, Okta id, object id)."),
    ("actor.user.email_addr", "string", "Email address of that user."),
    ("actor.user.domain", "string", "Domain of that user."),
    ("unmapped", "json", "Source fields OCSF has no attribute for (JSON object)."),
    ("raw_data", "string", "The original record, exactly as read, for evidence."),
    ("raw_source.file", "string", "File the record came from."),
    (
        "raw_source.record",
        "bigint",
        "Line number (text logs) or record number (EVTX, JSON arrays).",
    ),
    ("raw_source.format", "string", "farmhunt format name that parsed it."),
)
BASE = _mark_extensions("every event table", BASE, ("raw_source.",))
"""``raw_source.*`` is farmhunt's provenance, not OCSF: marked as extensions."""

_ENDPOINT_FIELDS: tuple[tuple[str, ColumnType, str], ...] = (
    ("ip", "string", "IP address."),
    ("port", "int", "Port."),
    ("hostname", "string", "Host name."),
    ("location.country", "string", "ISO 3166-1 alpha-2 country."),
    ("location.region", "string", "Region or state."),
    ("location.city", "string", "City."),
    ("location.lat", "float", "Latitude."),
    ("location.long", "float", "Longitude."),
    ("location.isp", "string", "Internet service provider."),
    ("autonomous_system.number", "bigint", "Autonomous system number."),
    ("autonomous_system.name", "string", "Autonomous system organization."),
    ("domain", "string", "Domain the source attributes to the address."),
)


def _endpoint(prefix: str, who: str) -> tuple[Column, ...]:
    return tuple(Column(f"{prefix}.{n}", t, f"{who}: {d}") for n, t, d in _ENDPOINT_FIELDS)


def _process(prefix: str, who: str) -> tuple[Column, ...]:
    return _cols(
        (f"{prefix}.pid", "bigint", f"{who}: process id."),
        (f"{prefix}.uid", "string", f"{who}: unique process id (Sysmon ProcessGuid)."),
        (f"{prefix}.name", "string", f"{who}: image name."),
        (f"{prefix}.cmd_line", "string", f"{who}: command line."),
        (f"{prefix}.file.path", "string", f"{who}: executable path."),
        (f"{prefix}.file.name", "string", f"{who}: executable file name."),
        (f"{prefix}.user.name", "string", f"{who}: user the process runs as."),
    )


_PROCESS_DETAIL = _cols(
    ("process.file.internal_name", "string", "Original file name in the PE header."),
    ("process.file.desc", "string", "File description from the PE header."),
    ("process.file.product.name", "string", "Product name from the PE header."),
    ("process.file.company_name", "string", "Company from the PE header."),
    ("process.file.version", "string", "File version."),
    ("process.file.hashes", "json", "Hashes as a JSON object {algorithm: value}."),
    ("process.file.signature.certificate.subject", "string", "Code-signing subject."),
    ("process.integrity", "string", "Integrity level."),
    ("process.created_time", "timestamp", "When the process started."),
    ("process.working_directory", "string", "Current directory."),
    ("process.session.uid", "string", "Logon session id (Sysmon LogonId)."),
)

_USER = _cols(
    ("user.name", "string", "Target user name."),
    ("user.uid", "string", "Target user id (SID, directory id)."),
    ("user.email_addr", "string", "Target user email."),
    ("user.domain", "string", "Target user domain."),
    ("user.full_name", "string", "Target user display name."),
)

_HTTP = _cols(
    ("http_request.user_agent", "string", "User agent of the client."),
    ("http_request.url.url_string", "string", "Requested URL."),
)

_CONNECTION = _cols(
    ("connection_info.protocol_name", "string", "Transport protocol (tcp, udp)."),
    ("connection_info.direction_id", "int", "1 inbound, 2 outbound, 3 lateral, 0 unknown."),
    ("connection_info.uid", "string", "Connection id (Zeek uid)."),
    ("traffic.bytes_in", "bigint", "Bytes received by the source."),
    ("traffic.bytes_out", "bigint", "Bytes sent by the source."),
    ("traffic.packets_in", "bigint", "Packets received."),
    ("traffic.packets_out", "bigint", "Packets sent."),
    ("duration", "bigint", "Duration in milliseconds."),
    ("app_name", "string", "Application protocol or service seen."),
)

_TLS = _cols(
    ("tls.sni", "string", "Server name indication."),
    ("tls.version", "string", "TLS version."),
    ("tls.cipher", "string", "Cipher suite."),
    ("tls.certificate.subject", "string", "Server certificate subject."),
    ("tls.certificate.issuer", "string", "Server certificate issuer."),
    ("tls.certificate.fingerprints", "json", "Certificate fingerprints."),
    ("tls.ja3_hash.value", "string", "JA3 client fingerprint."),
    ("tls.ja3s_hash.value", "string", "JA3S server fingerprint."),
)

_FILE_TARGET = _cols(
    ("file.path", "string", "Path of the file acted on (Sysmon TargetFilename)."),
    ("file.name", "string", "File name of that path."),
    ("file.created_time", "timestamp", "Creation time the file carries (Sysmon CreationUtcTime)."),
    ("file.hashes", "json", "Hashes of a deleted file as a JSON object {algorithm: value}."),
)

_REGISTRY = _cols(
    ("reg_key.path", "string", "Registry key acted on (for a value event, the key holding it)."),
    ("prev_reg_key.path", "string", "The key's path before a rename."),
    ("reg_value.name", "string", "Value name, for value events."),
    ("reg_value.data", "string", "Value data as the source prints it (Sysmon Details)."),
    ("reg_value.type", "string", "Value type (REG_DWORD…), when the source says."),
    (
        "unmapped.target_object",
        "string",
        "The registry path exactly as logged (Sysmon TargetObject): key, or key\\value.",
    ),
    ("unmapped.event_type", "string", "Sysmon EventType (CreateKey, SetValue, DeleteValue…)."),
    ("unmapped.new_name", "string", "The new path of a renamed key (Sysmon 14 NewName)."),
)

_ACCESS = _cols(
    ("access_mask", "int", "Access rights requested (Security 4663 AccessMask)."),
)

SYSTEM, FINDINGS, IAM, NETWORK, DISCOVERY, APPLICATION = (
    (1, "System Activity"),
    (2, "Findings"),
    (3, "Identity & Access Management"),
    (4, "Network Activity"),
    (5, "Discovery"),
    (6, "Application Activity"),
)


def _event(
    name: str,
    class_uid: int,
    class_name: str,
    category: tuple[int, str],
    description: str,
    activities: dict[int, str],
    *extra: tuple[Column, ...],
    note: str = "",
    extensions: tuple[str, ...] = (),
) -> Table:
    """One OCSF event class as a table; ``extensions`` names the columns (or "prefix."
    groups) this class has no OCSF 1.8 attribute for (see :attr:`Column.extension`)."""
    cols: tuple[Column, ...] = BASE
    for group in extra:
        cols += group
    cols = _mark_extensions(name, cols, extensions)
    return Table(
        name=name,
        class_uid=class_uid,
        class_name=class_name,
        category_uid=category[0],
        category_name=category[1],
        description=description,
        activities={0: "Unknown", **activities, 99: "Other"},
        columns=cols,
        ocsf_note=note,
    )


_QUERY_NOTE = (
    "OCSF 1.5 deprecated the per-kind Query classes in favour of Live Evidence Info (5040); "
    "they remain in 1.8 and farmhunt keeps them because one table per kind of evidence is "
    "what rules and analysts query."
)

_QUERY_RESULT = _cols(
    ("query_result_id", "int", "OCSF query result: 1 exists, 3 does not exist (a removed row)."),
    ("query_result", "string", "Query result caption (Exists, Does not exist)."),
)
_OSQUERY_ACTION = _cols(
    (
        "unmapped.osquery_action",
        "string",
        "osquery row action: added, removed (no longer present) or snapshot.",
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _event(
            "process_activity",
            1007,
            "Process Activity",
            SYSTEM,
            "Processes launched or terminated (Sysmon 1, osquery process_events).",
            {1: "Launch", 2: "Terminate", 3: "Open", 4: "Inject", 5: "Set User ID"},
            _process("process", "Process"),
            _process("process.parent_process", "Parent"),
            _PROCESS_DETAIL,
            _OSQUERY_ACTION,
        ),
        _event(
            "file_activity",
            1001,
            "File System Activity",
            SYSTEM,
            "Files created or deleted (Sysmon 11, 23, 26) and file accesses audited by "
            "Windows (Security 4663 on a File object).",
            {
                1: "Create",
                2: "Read",
                3: "Update",
                4: "Delete",
                5: "Rename",
                6: "Set Attributes",
                7: "Set Security",
                8: "Get Attributes",
                9: "Get Security",
                14: "Open",
            },
            _FILE_TARGET,
            _process("actor.process", "Acting process"),
            _ACCESS,
        ),
        _event(
            "registry_activity",
            201001,
            "Registry Key Activity",
            SYSTEM,
            "Registry keys and values created, set, renamed or deleted (Sysmon 12, 13, 14; "
            "Security 4657, and 4663 on a Key object). One table for keys and values: "
            "Sysmon event 12 and Sigma's registry_event and registry_delete rules cover "
            "both, and a rule reads one table. A value event is an activity on the key "
            "that holds it (Modify), with the value in `reg_value.*`.",
            {
                1: "Create",
                2: "Read",
                3: "Modify",
                4: "Delete",
                5: "Rename",
                6: "Set Security",
            },
            _REGISTRY,
            _process("actor.process", "Acting process"),
            _ACCESS,
            note=(
                "OCSF Windows extension class 201001; `reg_value.*` are the attributes of "
                "its sibling Registry Value Activity (201002) for value events."
            ),
            extensions=(
                "reg_value.",
                "unmapped.target_object",
                "unmapped.event_type",
                "unmapped.new_name",
            ),
        ),
        _event(
            "process_query",
            5015,
            "Process Query",
            DISCOVERY,
            "Processes seen running by a scheduled query (osquery processes).",
            {1: "Query"},
            _process("process", "Process"),
            _process("process.parent_process", "Parent"),
            _PROCESS_DETAIL,
            _QUERY_RESULT,
            _OSQUERY_ACTION,
            note=_QUERY_NOTE,
        ),
        _event(
            "software_inventory_info",
            5020,
            "Software Inventory Info",
            DISCOVERY,
            "Installed software: Windows programs, macOS apps, deb/rpm packages, extensions.",
            {1: "Log", 2: "Collect"},
            _cols(
                ("package.name", "string", "Software name."),
                ("package.version", "string", "Software version."),
                ("package.vendor_name", "string", "Publisher or vendor."),
                ("package.type", "string", "Kind of package (program, app, deb, rpm…)."),
                ("package.path", "string", "Install location."),
                ("package.uid", "string", "Package id (bundle id, product code)."),
                ("package.install_time", "timestamp", "When it was installed."),
            ),
            _OSQUERY_ACTION,
            extensions=("package.path", "package.install_time"),
        ),
        _event(
            "peripheral_device_query",
            5014,
            "Peripheral Device Query",
            DISCOVERY,
            "USB devices and displays attached to a host (osquery usb_devices, displays).",
            {1: "Query"},
            _cols(
                ("peripheral_device.name", "string", "Device name (USB product string)."),
                ("peripheral_device.model", "string", "Model (USB product id, EDID product)."),
                ("peripheral_device.vendor_name", "string", "Vendor (USB manufacturer)."),
                (
                    "peripheral_device.vendor_id_list",
                    "strings",
                    "Vendor ids (USB VID, EDID PNP id).",
                ),
                ("peripheral_device.serial_number", "string", "Serial number."),
                ("peripheral_device.uid", "string", "Unique id (USB VID:PID, device instance id)."),
                ("peripheral_device.type", "string", "Device type as the source says it."),
                ("peripheral_device.type_id", "int", "OCSF peripheral type id (7 monitor…)."),
                ("unmapped.usb_vendor_id", "string", "USB vendor id, 4 lowercase hex digits."),
                ("unmapped.usb_product_id", "string", "USB product id, 4 lowercase hex digits."),
            ),
            _QUERY_RESULT,
            _OSQUERY_ACTION,
            note=_QUERY_NOTE,
        ),
        _event(
            "device_config_state_change",
            5019,
            "Device Config State Change",
            DISCOVERY,
            "A host's configuration changed: device driver installs (Kernel-PnP, UMDF).",
            {1: "Log"},
            _cols(
                ("peripheral_device.name", "string", "Device name."),
                ("peripheral_device.uid", "string", "Device instance id (USB\\VID_…&PID_…\\…)."),
                ("peripheral_device.vendor_id_list", "strings", "Vendor ids."),
                ("peripheral_device.serial_number", "string", "Serial number."),
                ("unmapped.usb_vendor_id", "string", "USB vendor id, 4 lowercase hex digits."),
                ("unmapped.usb_product_id", "string", "USB product id, 4 lowercase hex digits."),
            ),
            extensions=("peripheral_device.",),
        ),
        _event(
            "network_connection_query",
            5012,
            "Network Connection Query",
            DISCOVERY,
            "Listening ports and open sockets per process (osquery).",
            {1: "Query"},
            _process("process", "Process"),
            _endpoint("src_endpoint", "Local end"),
            _endpoint("dst_endpoint", "Remote end"),
            _cols(
                ("connection_info.protocol_name", "string", "Transport protocol."),
                ("state", "string", "Socket state (LISTEN, ESTABLISHED…)."),
            ),
            _QUERY_RESULT,
            _OSQUERY_ACTION,
            note=_QUERY_NOTE,
            extensions=("src_endpoint.", "dst_endpoint."),
        ),
        _event(
            "user_session_query",
            5017,
            "User Session Query",
            DISCOVERY,
            "Logged-in users (osquery logged_in_users).",
            {1: "Query"},
            _USER,
            _cols(
                ("session.uid", "string", "Session id."),
                ("session.terminal", "string", "Terminal or session type (console, rdp-tcp#0…)."),
                ("session.created_time", "timestamp", "When the session began."),
                ("src_endpoint.ip", "string", "Address the session came from."),
                ("src_endpoint.hostname", "string", "Host the session came from."),
            ),
            _QUERY_RESULT,
            _OSQUERY_ACTION,
            note=_QUERY_NOTE,
            extensions=("user.", "src_endpoint."),
        ),
        _event(
            "admin_group_query",
            5009,
            "Admin Group Query",
            DISCOVERY,
            "Members of local administrator groups (osquery user_groups).",
            {1: "Query"},
            _USER,
            _cols(
                ("group.name", "string", "Group name (Administrators, admin, sudo, wheel)."),
                ("group.uid", "string", "Group id or SID."),
            ),
            _QUERY_RESULT,
            _OSQUERY_ACTION,
            note=_QUERY_NOTE,
            extensions=("user.",),
        ),
        _event(
            "device_inventory_info",
            5001,
            "Device Inventory Info",
            DISCOVERY,
            "What a host is: hardware, serial, OS (osquery system_info, os_version).",
            {1: "Log", 2: "Collect"},
            _cols(
                ("device.name", "string", "Computer name."),
                ("device.hw_info.serial_number", "string", "Hardware serial number."),
                ("device.hw_info.uuid", "string", "Hardware UUID."),
                ("device.hw_info.cpu_type", "string", "CPU."),
                ("device.hw_info.ram_size", "bigint", "Memory in bytes."),
                ("device.vendor_name", "string", "Hardware vendor."),
                ("device.model", "string", "Hardware model."),
                ("device.os.version", "string", "OS version."),
                ("device.os.build", "string", "OS build."),
            ),
            _OSQUERY_ACTION,
        ),
        _event(
            "network_activity",
            4001,
            "Network Activity",
            NETWORK,
            "Network connections (Sysmon 3, Zeek conn) and TLS handshakes (Zeek ssl).",
            {1: "Open", 2: "Close", 3: "Reset", 4: "Fail", 5: "Refuse", 6: "Traffic", 7: "Listen"},
            _endpoint("src_endpoint", "Source"),
            _endpoint("dst_endpoint", "Destination"),
            _CONNECTION,
            _process("process", "Process"),
            _TLS,
            extensions=("process.",),
        ),
        _event(
            "dns_activity",
            4003,
            "DNS Activity",
            NETWORK,
            "DNS queries and answers (Sysmon 22, Zeek dns).",
            {1: "Query", 2: "Response", 6: "Traffic"},
            _endpoint("src_endpoint", "Client"),
            _endpoint("dst_endpoint", "Server"),
            _process("process", "Process"),
            _cols(
                ("query.hostname", "string", "Name queried."),
                ("query.type", "string", "Record type (A, AAAA, TXT…)."),
                ("rcode", "string", "Response code."),
                ("rcode_id", "int", "OCSF response code id."),
                ("answers", "json", "Answers as a JSON list of {rdata, type, ttl}."),
                ("connection_info.protocol_name", "string", "Transport protocol."),
                ("connection_info.uid", "string", "Connection id (Zeek uid)."),
            ),
            extensions=("process.",),
        ),
        _event(
            "http_activity",
            4002,
            "HTTP Activity",
            NETWORK,
            "HTTP requests (proxy logs, Zeek http).",
            {1: "Connect", 2: "Delete", 3: "Get", 4: "Head", 5: "Options", 6: "Post", 7: "Put"},
            _endpoint("src_endpoint", "Client"),
            _endpoint("dst_endpoint", "Server"),
            _HTTP,
        ),
        _event(
            "rdp_activity",
            4005,
            "RDP Activity",
            NETWORK,
            "Remote Desktop sessions: Zeek rdp, Windows 4778/4779, 1149, RdpCoreTS 104.",
            {
                1: "Initial Request",
                2: "Initial Response",
                3: "Connect Request",
                4: "Connect Response",
                5: "TLS Handshake",
                6: "Traffic",
                7: "Disconnect",
                8: "Reconnect",
            },
            _endpoint("src_endpoint", "RDP client"),
            _endpoint("dst_endpoint", "RDP server"),
            _USER,
            _cols(
                ("session.uid", "string", "Session id."),
                ("session.terminal", "string", "Session name (Windows RDP-Tcp#3, Console)."),
                ("remote_display.color_depth", "int", "Client color depth."),
                ("remote_display.physical_height", "int", "Client screen height."),
                ("remote_display.physical_width", "int", "Client screen width."),
                ("keyboard_info.keyboard_layout", "string", "Client keyboard layout."),
                ("protocol_ver", "string", "Client build or protocol version."),
                ("connection_info.uid", "string", "Connection id (Zeek uid)."),
                ("unmapped.client_timezone", "string", "Time zone the RDP client reported."),
                (
                    "unmapped.client_utc_offset_minutes",
                    "int",
                    "The RDP client's UTC offset in minutes (east positive).",
                ),
                ("identifier_cookie", "string", "RDP cookie as sent (mstshash user hint)."),
                (
                    "unmapped.client_dig_product_id",
                    "string",
                    "Product id the RDP client reports (stable per client install).",
                ),
            ),
            extensions=("session.",),
        ),
        _event(
            "authentication",
            3002,
            "Authentication",
            IAM,
            "Logons and sign-ins (Windows 4624/4625, Okta, Entra ID, Google Workspace).",
            {
                1: "Logon",
                2: "Logoff",
                3: "Authentication Ticket",
                4: "Service Ticket Request",
                5: "Service Ticket Renew",
                6: "Preauth",
            },
            _USER,
            _endpoint("src_endpoint", "Client"),
            _endpoint("dst_endpoint", "Target"),
            _HTTP,
            _cols(
                (
                    "logon_type_id",
                    "int",
                    "OCSF logon type (2 interactive, 10 remote interactive…).",
                ),
                ("logon_type", "string", "Logon type as the source says it."),
                ("logon_process.name", "string", "Logon process (Windows User32, NtLmSsp)."),
                ("auth_protocol", "string", "Authentication protocol."),
                ("is_remote", "bool", "Whether the logon came over the network."),
                ("is_mfa", "bool", "Whether multi-factor authentication was used."),
                ("session.uid", "string", "Session id."),
                ("service.name", "string", "Application or service signed in to."),
                ("src_endpoint.is_proxy", "bool", "Source flags the address as a proxy/VPN."),
                ("src_endpoint.device.os.name", "string", "Client OS as the IdP reports it."),
                ("src_endpoint.device.uid", "string", "Client device id as the IdP reports it."),
                ("risk_level", "string", "IdP's risk level."),
                ("risk_details", "string", "IdP's risk detail."),
                ("unmapped.conditional_access_status", "string", "Entra conditional access."),
                (
                    "unmapped.is_suspicious",
                    "bool",
                    "IdP flagged the sign-in as suspicious (Google is_suspicious, warnings).",
                ),
                ("status_code", "string", "Source's result code (Entra errorCode, Okta result)."),
                ("src_endpoint.device.name", "string", "Client device name as the IdP reports it."),
                ("src_endpoint.device.is_managed", "bool", "IdP says the device is managed."),
                ("src_endpoint.device.is_compliant", "bool", "IdP says the device is compliant."),
                (
                    "src_endpoint.intermediate_ips",
                    "strings",
                    "Forwarding hops between client and IdP (Okta request.ipChain, minus "
                    "the client).",
                ),
                (
                    "unmapped.behaviors",
                    "strings",
                    "Okta behaviour detections that fired (New Country, New Device, Velocity…).",
                ),
                (
                    "unmapped.risk_event_types",
                    "strings",
                    "Entra risk detections (anonymizedIPAddress, impossibleTravel…).",
                ),
            ),
            extensions=(
                "src_endpoint.is_proxy",
                "src_endpoint.device.",
                "risk_level",
                "risk_details",
            ),
        ),
        _event(
            "account_change",
            3001,
            "Account Change",
            IAM,
            "Accounts created, changed, locked (Windows 4720, Okta user lifecycle).",
            {
                1: "Create",
                2: "Enable",
                3: "Password Change",
                4: "Password Reset",
                5: "Disable",
                6: "Delete",
                7: "Attach Policy",
                8: "Detach Policy",
                9: "Lock",
                10: "MFA Factor Enable",
                11: "MFA Factor Disable",
                12: "Unlock",
            },
            _USER,
            _endpoint("src_endpoint", "Client"),
            _HTTP,
            _cols(("src_endpoint.is_proxy", "bool", "Source flags the address as a proxy/VPN.")),
            extensions=("src_endpoint.is_proxy",),
        ),
        _event(
            "group_management",
            3006,
            "Group Management",
            IAM,
            "Group membership changes (Windows 4732: added to local Administrators).",
            {
                1: "Assign Privileges",
                2: "Revoke Privileges",
                3: "Add User",
                4: "Remove User",
                5: "Delete",
                6: "Create",
            },
            _USER,
            _cols(
                ("group.name", "string", "Group name."),
                ("group.uid", "string", "Group SID or id."),
            ),
            _endpoint("src_endpoint", "Client"),
            _HTTP,
            _cols(("src_endpoint.is_proxy", "bool", "Source flags the address as a proxy/VPN.")),
            extensions=("src_endpoint.is_proxy",),
        ),
        _event(
            "api_activity",
            6003,
            "API Activity",
            APPLICATION,
            "SaaS administrative and data actions (GitHub audit log, Okta admin events).",
            {1: "Create", 2: "Read", 3: "Update", 4: "Delete"},
            _endpoint("src_endpoint", "Client"),
            _HTTP,
            _cols(
                ("src_endpoint.is_proxy", "bool", "Source flags the address as a proxy/VPN."),
                ("api.operation", "string", "Operation (GitHub action such as git.clone)."),
                ("api.service.name", "string", "Service (github, okta…)."),
                ("resources", "json", "Resources acted on: JSON list of {type, name, uid}."),
                ("resource.name", "string", "Main resource's name (repository, app)."),
                ("resource.type", "string", "Main resource's type."),
                ("resource.owner.name", "string", "Owner (organization) of the resource."),
                (
                    "resource.visibility",
                    "string",
                    "private, internal or public; non-public when the source only says not public.",
                ),
                ("resource.uid", "string", "Main resource's id (GitHub repo_id, OAuth client id)."),
                (
                    "unmapped.previous_visibility",
                    "string",
                    "Visibility before a change (GitHub repo.access previous_visibility).",
                ),
                (
                    "unmapped.transport_protocol",
                    "string",
                    "Git transport of a clone, fetch or push (http or ssh).",
                ),
                (
                    "unmapped.programmatic_access_type",
                    "string",
                    "How a non-web action authenticated (personal access token, OAuth, SSH key…).",
                ),
                (
                    "unmapped.hashed_token",
                    "string",
                    "Base64 SHA-256 of the token used; groups the actions of one credential.",
                ),
                (
                    "unmapped.key_fingerprint",
                    "string",
                    "SSH or deploy key fingerprint (GitHub public_key.*, deploy key pushes).",
                ),
            ),
            extensions=("src_endpoint.is_proxy", "resource."),
        ),
        _event(
            "file_hosting_activity",
            6006,
            "File Hosting Activity",
            APPLICATION,
            "Shared-drive file actions (Google Drive).",
            {
                1: "Upload",
                2: "Download",
                3: "Update",
                4: "Delete",
                5: "Rename",
                6: "Copy",
                7: "Move",
                8: "Restore",
                9: "Preview",
                10: "Lock",
                11: "Unlock",
                12: "Share",
                13: "Unshare",
                14: "Open",
                15: "Sync",
                16: "Unsync",
            },
            _endpoint("src_endpoint", "Client"),
            _HTTP,
            _cols(
                ("file.name", "string", "File name."),
                ("file.uid", "string", "File id."),
                ("file.type", "string", "File type."),
                ("file.owner.email_addr", "string", "File owner."),
                ("file.visibility", "string", "Visibility (private, shared…)."),
                ("dst_user.email_addr", "string", "Who a file was shared with."),
                (
                    "unmapped.old_visibility",
                    "string",
                    "Visibility before a sharing change (Google Drive old_visibility).",
                ),
                (
                    "unmapped.visibility_change",
                    "string",
                    "Whether a sharing change reached outside the domain (external/internal).",
                ),
            ),
            extensions=("file.visibility", "dst_user."),
        ),
        _event(
            "base_event",
            0,
            "Base Event",
            (0, "Uncategorized"),
            "Records farmhunt keeps but has no class mapping for (unknown osquery queries).",
            {},
            _OSQUERY_ACTION,
            note="Kept so that nothing is dropped; `unmapped` holds the columns.",
        ),
    ]
}


def get_table(name: str) -> Table:
    """Return the table called ``name``, or raise KeyError naming the known tables."""
    try:
        return STORE_TABLES[name]
    except KeyError:
        raise KeyError(
            f"unknown table {name!r}; known: {', '.join(sorted(STORE_TABLES))}"
        ) from None


QUARANTINE = Table(
    name="quarantine",
    class_uid=None,
    class_name="Quarantine",
    category_uid=None,
    category_name="farmhunt",
    description="Records that could not be stored, with where they were and why.",
    columns=_cols(
        ("raw_source.file", "string", "File the record came from."),
        ("raw_source.record", "bigint", "Line or record number in that file."),
        ("raw_source.format", "string", "Format the file was read as."),
        ("reason", "string", "Why the record was not stored."),
        ("raw_data", "string", "The record's beginning (at most 4 KiB)."),
        ("import_id", "bigint", "The import that met it (see `farmhunt stats`)."),
        ("quarantined_at", "timestamp", "When it was quarantined."),
    ),
)
"""Not an OCSF class: farmhunt's own record of what it could not store."""

_REFERENCE_PROVENANCE = _cols(
    ("unmapped", "json", "The export's other columns, {header: cell} (JSON object)."),
    ("raw_data", "string", "The whole row as {header: cell} (JSON), exactly as read."),
    ("metadata.uid", "string", "farmhunt row id: stable across re-imports of the same file."),
    ("metadata.product.name", "string", "System the export came from, when known."),
    ("metadata.product.vendor_name", "string", "Vendor of that system."),
    ("raw_source.file", "string", "File the row came from."),
    ("raw_source.record", "bigint", "Line number of the row in that file."),
    ("raw_source.format", "string", "farmhunt format name that parsed it."),
)

WORKERS = Table(
    name="workers",
    class_uid=None,
    class_name="Workers",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "The HR roster: one row per roster row of every import (re-exports are kept as "
        "new rows); the latest row per employee_id is the worker as farmhunt knows them."
    ),
    columns=_cols(
        ("time", "timestamp", "The export's snapshot date if it has one, else the import time."),
        ("employee_id", "string", "Id in the HR system: farmhunt's worker id."),
        ("full_name", "string", "Full name (or first, else preferred, name + last name)."),
        ("first_name", "string", "First name."),
        ("last_name", "string", "Last name."),
        ("preferred_name", "string", "Preferred first name."),
        ("email", "string", "Work email."),
        ("personal_email", "string", "Personal email."),
        ("username", "string", "Directory login, when the export has it."),
        ("github_login", "string", "GitHub login, when the export has it."),
        ("department", "string", "Department or organization."),
        ("title", "string", "Job title."),
        ("employment_type", "string", "Employee, contractor … as the export words it."),
        ("employment_status", "string", "Active, terminated … as the export words it."),
        ("hire_date", "timestamp", "Hire date (00:00 UTC)."),
        ("termination_date", "timestamp", "Termination date (00:00 UTC)."),
        ("work_location", "string", "Work location as free text."),
        ("work_country", "string", "Country of work as given (ISO alpha-2 where so given)."),
        ("work_region", "string", "State, province or region of work."),
        ("work_city", "string", "City of work."),
        ("timezone", "string", "IANA time zone (validated)."),
        ("home_address", "string", "Home address."),
        ("ship_address", "string", "Where the company laptop was shipped."),
        ("phone", "string", "Phone number as given."),
        ("phone_e164", "string", "The phone number in E.164 form, when it parses."),
        ("payroll_account", "string", "Bank account paid into (or its hash)."),
        ("manager_email", "string", "Manager's email."),
        ("manager_name", "string", "Manager's name."),
    )
    + _REFERENCE_PROVENANCE,
)
"""Not an OCSF class: the HR roster (``sources/hr``), the reference identities resolve to."""

DEVICES = Table(
    name="devices",
    class_uid=None,
    class_name="Devices",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "The device inventory: one row per inventory row of every import; who each laptop "
        "is assigned to and where it was shipped."
    ),
    columns=_cols(
        ("time", "timestamp", "The export's snapshot date if it has one, else the import time."),
        ("asset_id", "string", "Asset tag."),
        ("serial_number", "string", "Hardware serial number."),
        ("hostname", "string", "Computer name."),
        ("device_uid", "string", "Device id in the management system (hardware UUID …)."),
        ("owner_email", "string", "Email of the worker it is assigned to."),
        ("owner", "string", "Who it is assigned to when not an email (name, login, id)."),
        ("os", "string", "Operating system."),
        ("model", "string", "Hardware model."),
        ("shipped_to", "string", "Address it was shipped to."),
        ("shipped_on", "timestamp", "Date it was shipped (00:00 UTC)."),
        ("device_status", "string", "Asset status (deployed, in stock …)."),
    )
    + _REFERENCE_PROVENANCE,
)
"""Not an OCSF class: the device inventory (``sources/hr``)."""

STORE_TABLES: dict[str, Table] = {
    **TABLES,
    QUARANTINE.name: QUARANTINE,
    WORKERS.name: WORKERS,
    DEVICES.name: DEVICES,
}
"""Every table the store writes: OCSF event tables and farmhunt's own."""

WORKER_LINKS = Table(
    name="worker_links",
    class_uid=None,
    class_name="Worker Links",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "Identity resolution (`farmhunt resolve`): every person or host identifier seen in "
        "the events, the worker it belongs to, how that was decided and on what evidence. "
        "Unresolved and ambiguous identifiers are kept with worker_id NULL."
    ),
    columns=_cols(
        ("identifier_type", "string", "email, upn, username, github_login, hostname, serial …"),
        ("identifier", "string", "The identifier exactly as the events hold it."),
        ("worker_id", "string", "The worker's employee_id; NULL when unresolved or ambiguous."),
        ("worker_email", "string", "That worker's roster email."),
        ("worker_name", "string", "That worker's roster name."),
        ("method", "string", "How it was linked (exact_email, device_owner …, unresolved)."),
        ("confidence", "float", "0..1 confidence of the method; NULL when not linked."),
        ("evidence", "string", "Which rows made the link, as text an analyst can check."),
        ("candidates", "strings", "Workers it could belong to (several when ambiguous)."),
        ("event_count", "bigint", "Events that name it."),
        ("first_seen", "timestamp", "First event naming it."),
        ("last_seen", "timestamp", "Last event naming it."),
        ("seen_in", "strings", "Where it appears: table.column."),
    ),
)
"""Derived: rebuilt whole by :func:`farmhunt.enrich.identity.resolve`."""

DERIVED_TABLES: dict[str, Table] = {WORKER_LINKS.name: WORKER_LINKS}
"""Tables computed from the stored events and replaced whole on each rebuild
(``Workspace.replace_derived``): identity links, findings, scores. Keyed by name."""

FINDINGS_TABLE = Table(
    name="findings",
    class_uid=None,
    class_name="Findings",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "What `farmhunt detect` found: one row per rule and subject, with the events behind "
        "it, why it matters and what to rule out."
    ),
    columns=_cols(
        ("finding_id", "string", "Stable id of the finding (rule and subject)."),
        ("rule_id", "string", "Rule that fired."),
        ("rule_kind", "string", "match, correlation or analytic."),
        ("title", "string", "Rule title."),
        ("category", "string", "endpoint, network, identity, saas, hiring or exfiltration."),
        ("severity", "string", "informational, low, medium, high or critical."),
        ("weight", "float", "The rule's evidence weight (0–100) for scoring."),
        ("fbi_guidance", "string", "The FBI guidance item the rule serves."),
        ("attack", "strings", "ATT&CK techniques."),
        ("worker_id", "string", "The worker it is about (NULL when the subject is unlinked)."),
        ("subject", "string", "Who or what it is about: email, user, host or address."),
        ("subject_type", "string", "email, username, hostname, ip or worker."),
        ("device", "string", "Host involved, when there is one."),
        ("first_seen", "timestamp", "First event behind it."),
        ("last_seen", "timestamp", "Last event behind it."),
        ("event_count", "bigint", "Events behind it."),
        ("event_uids", "strings", "metadata.uid of the events behind it (the first 100)."),
        ("tables", "strings", "Tables those events are in."),
        ("explanation", "string", "What happened, in words."),
        ("evidence", "json", "The values that made the rule fire."),
        ("description", "string", "Why it matters."),
        ("false_positives", "strings", "Benign explanations to rule out."),
        ("triage", "string", "How to check it."),
        ("source", "string", "Rule file and line."),
    ),
)
"""Derived: replaced whole by each ``farmhunt detect``."""

DERIVED_TABLES[FINDINGS_TABLE.name] = FINDINGS_TABLE

IP_INFO = Table(
    name="ip_info",
    class_uid=None,
    class_name="IP Info",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "Enrichment (`farmhunt enrich`): every distinct address in the events' IP columns, "
        "with its country, network owner and kind, and why it got that kind. Join on "
        "`ip` = the event column (the exact string the events hold)."
    ),
    columns=_cols(
        ("ip", "string", "The address exactly as the events hold it."),
        ("country", "string", "ISO 3166-1 alpha-2 country of the address."),
        ("asn", "bigint", "AS number, when a .mmdb database or the event reported it."),
        ("asn_org", "string", "Organisation of the AS announcing the address."),
        ("asn_cidr", "string", "The announced network holding the address."),
        (
            "kind",
            "string",
            "corporate, venue, private, cgnat, loopback, link_local, multicast, reserved, "
            "vpn, hosting, cloud, mobile, business, residential, unknown or invalid.",
        ),
        ("provider", "string", "Provider (or venue, or corporate range) it belongs to."),
        ("reason", "string", "Why it got that kind: the setting, list line or data row."),
    ),
)
"""Derived: replaced whole by :func:`farmhunt.enrich.build.enrich_workspace`."""

PHONE_INFO = Table(
    name="phone_info",
    class_uid=None,
    class_name="Phone Info",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "Enrichment (`farmhunt enrich`): every phone number the HR roster gave a worker, "
        "read with libphonenumber and the VoIP prefix lists."
    ),
    columns=_cols(
        ("worker_id", "string", "The worker's employee_id."),
        ("phone", "string", "The number exactly as the roster gives it."),
        ("e164", "string", "E.164 form, when it can be read."),
        ("region", "string", "Region (ISO alpha-2) the number belongs to."),
        (
            "line_type",
            "string",
            "voip, mobile, fixed_line, fixed_line_or_mobile, toll_free, premium_rate, "
            "shared_cost, personal_number, pager, uan, voicemail, unknown or invalid.",
        ),
        ("valid", "bool", "Whether it is a valid number for its region."),
        ("is_voip", "bool", "VoIP by line type or by a listed VoIP prefix."),
        ("reason", "string", "How that was decided."),
    ),
)
"""Derived: replaced whole by :func:`farmhunt.enrich.build.enrich_workspace`."""

DERIVED_TABLES[IP_INFO.name] = IP_INFO
DERIVED_TABLES[PHONE_INFO.name] = PHONE_INFO

SCORES = Table(
    name="scores",
    class_uid=None,
    class_name="Worker Risk Scores",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "`farmhunt score`: one row per worker with findings or in a candidate farm: the risk "
        "score, its level, and the findings (and farm) it decomposes into."
    ),
    columns=_cols(
        ("worker_id", "string", "The worker (roster employee_id), or the unlinked subject."),
        ("email", "string", "Roster email."),
        ("full_name", "string", "Roster name."),
        ("rank", "int", "1 = highest risk."),
        ("score", "float", "Risk score 0–100."),
        ("level", "string", "high, medium or low."),
        ("raw", "float", "Capped, agreement-weighted evidence before the 0–100 mapping."),
        ("categories", "strings", "Categories with evidence (endpoint, network, identity …)."),
        ("finding_count", "int", "Findings about the worker."),
        ("cluster_id", "string", "Candidate farm the worker belongs to, if any."),
        ("contributions", "json", "Per finding (and farm): points it adds to the score."),
        ("explanation", "string", "The score in one sentence."),
    ),
)
"""Derived: replaced whole by each ``farmhunt score``."""

CLUSTERS = Table(
    name="clusters",
    class_uid=None,
    class_name="Candidate Laptop Farms",
    category_uid=None,
    category_name="farmhunt",
    description=(
        "Workers linked by what they share (residential IP, ship address, phone, payroll "
        "account, KVM serial, remote-tool id), each link weighted by the value's rarity."
    ),
    columns=_cols(
        ("cluster_id", "string", "Stable id of the candidate farm."),
        ("members", "strings", "Worker ids."),
        ("size", "int", "Number of workers."),
        ("strength", "float", "Sum of the link weights inside the cluster."),
        ("shared", "json", "What is shared: list of {kind, value, workers, weight, note}."),
        ("explanation", "string", "The cluster in one sentence."),
    ),
)
"""Derived: replaced whole by each ``farmhunt score``."""

DERIVED_TABLES[SCORES.name] = SCORES
DERIVED_TABLES[CLUSTERS.name] = CLUSTERS

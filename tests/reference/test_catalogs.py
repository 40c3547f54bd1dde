"""The shipped catalogs load, keep their licence, and hold the tools farms are known to use."""

from __future__ import annotations

from importlib import resources

from farmhunt.reference import ipkvm_devices, remote_access_tools


def test_rmm_catalog_has_the_tools_seen_in_laptop_farms() -> None:
    tools = {t.name: t for t in remote_access_tools()}
    assert len(tools) >= 300
    for name in ("AnyDesk", "TeamViewer", "RustDesk", "Chrome Remote Desktop", "Splashtop"):
        assert name in tools
    assert "anydesk.exe" in {e.lower() for e in tools["AnyDesk"].executables}
    assert any("anydesk.com" in d for d in tools["AnyDesk"].domains)
    assert 21116 in tools["RustDesk"].ports


def test_catalogs_carry_their_licence_and_provenance() -> None:
    folder = resources.files("farmhunt.reference")
    assert "Apache License" in folder.joinpath("LOLRMM-LICENSE").read_text(encoding="utf-8")
    assert "LOLRMM" in folder.joinpath("README.md").read_text(encoding="utf-8")


def test_ipkvm_devices_have_usb_ids_in_canonical_form() -> None:
    devices = {d.device: d for d in ipkvm_devices()}
    assert devices["PiKVM"].usb_vendor_id == "1d6b" and devices["PiKVM"].usb_product_id == "0104"
    for device in devices.values():
        assert (
            len(device.usb_vendor_id) == 4 and device.usb_vendor_id == device.usb_vendor_id.lower()
        )

"""The built-in questionnaire a workspace starts from (and then edits as its own).

Every question is phrased so that "yes" is the safe answer. "No" and "unknown" are risky; for
critical questions "partly" is risky too (half an MFA rollout still lets attackers in).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from quotes.assessments.domain import CRITICAL, HIGH, LOW, MEDIUM, NO, PARTLY, UNKNOWN


@dataclass(frozen=True)
class DefaultQuestion:
    key: str
    text: str
    severity: str
    finding: str
    recommendation: str

    @property
    def risky_answers(self) -> list[str]:
        return [NO, PARTLY, UNKNOWN] if self.severity == CRITICAL else [NO, UNKNOWN]


@dataclass(frozen=True)
class DefaultCategory:
    key: str
    name: str
    questions: tuple[DefaultQuestion, ...]


Q = DefaultQuestion

QUESTIONNAIRE = (
    DefaultCategory(
        "backup",
        _("Backup and recovery"),
        (
            Q(
                "backup_daily",
                _("Are all servers and business-critical data backed up at least daily?"),
                CRITICAL,
                _("No reliable daily backup of business-critical data"),
                _("Set up managed daily backups of all servers and business data."),
            ),
            Q(
                "backup_offsite",
                _("Is at least one backup copy kept off-site or in the cloud?"),
                HIGH,
                _("No off-site backup copy"),
                _("Keep a second backup copy off-site or in a cloud backup service."),
            ),
            Q(
                "backup_immutable",
                _("Is one backup copy immutable or offline, out of reach of ransomware?"),
                HIGH,
                _("Backups are not protected against ransomware"),
                _("Add an immutable or offline backup copy."),
            ),
            Q(
                "backup_tested",
                _("Has a restore from backup been tested in the last six months?"),
                HIGH,
                _("Backup restores are never tested"),
                _("Test a restore at least twice a year and document the result."),
            ),
            Q(
                "backup_cloud_data",
                _("Are Microsoft 365 / Google Workspace mailboxes and files backed up?"),
                MEDIUM,
                _("Cloud mailboxes and files are not backed up"),
                _("Back up Microsoft 365 / Google Workspace data with a dedicated service."),
            ),
            Q(
                "backup_monitored",
                _("Are backup jobs monitored, with failures reported to someone who acts?"),
                MEDIUM,
                _("Failed backups go unnoticed"),
                _("Monitor backup jobs and alert on failures."),
            ),
        ),
    ),
    DefaultCategory(
        "patching",
        _("Patch management"),
        (
            Q(
                "patch_workstations",
                _("Are operating system updates installed on all workstations within 14 days?"),
                HIGH,
                _("Workstations miss security updates"),
                _("Roll out operating system updates automatically, within 14 days."),
            ),
            Q(
                "patch_servers",
                _("Are servers patched on a regular schedule, at least monthly?"),
                HIGH,
                _("Servers are not patched regularly"),
                _("Patch servers monthly in a maintenance window."),
            ),
            Q(
                "patch_third_party",
                _("Are third-party applications (browsers, PDF readers…) updated automatically?"),
                MEDIUM,
                _("Third-party applications are outdated"),
                _("Update third-party applications through patch management."),
            ),
            Q(
                "patch_supported",
                _("Are all operating systems still supported by their vendor?"),
                CRITICAL,
                _("End-of-life operating systems in use"),
                _("Replace or isolate systems that no longer receive security updates."),
            ),
            Q(
                "patch_firmware",
                _("Are firmware updates applied to firewalls, switches and access points?"),
                MEDIUM,
                _("Network device firmware is outdated"),
                _("Keep the firmware of network devices current."),
            ),
        ),
    ),
    DefaultCategory(
        "endpoint",
        _("Endpoint security"),
        (
            Q(
                "endpoint_edr",
                _("Is a managed antivirus / EDR solution active on every device?"),
                CRITICAL,
                _("Devices without managed antivirus / EDR"),
                _("Install a managed EDR solution on every device."),
            ),
            Q(
                "endpoint_alerts",
                _("Are security alerts from devices monitored and acted on?"),
                HIGH,
                _("Security alerts are not monitored"),
                _("Have security alerts monitored and handled, e.g. by a managed SOC."),
            ),
            Q(
                "endpoint_encryption",
                _("Are laptops encrypted (BitLocker / FileVault)?"),
                HIGH,
                _("Laptops are not encrypted"),
                _("Enable disk encryption and keep the recovery keys safe."),
            ),
            Q(
                "endpoint_admin_rights",
                _("Do users work without local administrator rights?"),
                MEDIUM,
                _("Users work with administrator rights"),
                _("Remove local administrator rights from everyday accounts."),
            ),
            Q(
                "endpoint_inventory",
                _("Are all devices inventoried and remotely managed (RMM)?"),
                MEDIUM,
                _("Devices are not inventoried or managed"),
                _("Manage every device with an RMM agent."),
            ),
        ),
    ),
    DefaultCategory(
        "identity",
        _("Identity and MFA"),
        (
            Q(
                "mfa_email",
                _("Is multi-factor authentication enforced for all email / Microsoft 365 users?"),
                CRITICAL,
                _("MFA is not enforced for email accounts"),
                _("Enforce MFA for every user, with conditional access where available."),
            ),
            Q(
                "mfa_remote",
                _("Is MFA required for all remote access (VPN, remote desktop)?"),
                CRITICAL,
                _("Remote access without MFA"),
                _("Require MFA for VPN and remote desktop access."),
            ),
            Q(
                "admin_accounts",
                _("Do administrators use separate admin accounts protected by MFA?"),
                HIGH,
                _("Administrators work with everyday accounts"),
                _("Create separate, MFA-protected admin accounts."),
            ),
            Q(
                "password_manager",
                _("Is a password manager used instead of shared or written-down passwords?"),
                MEDIUM,
                _("No company password manager"),
                _("Introduce a company password manager."),
            ),
            Q(
                "offboarding",
                _("Are the accounts of leavers disabled on their last working day?"),
                MEDIUM,
                _("Accounts of leavers stay active"),
                _("Add account removal to the offboarding checklist."),
            ),
            Q(
                "personal_accounts",
                _("Does every person have their own login (no shared accounts)?"),
                LOW,
                _("Shared user accounts in use"),
                _("Give every person a personal account."),
            ),
        ),
    ),
    DefaultCategory(
        "email",
        _("Email security"),
        (
            Q(
                "email_spf_dkim_dmarc",
                _("Are SPF, DKIM and DMARC set up for all email domains?"),
                HIGH,
                _("Email domains lack SPF, DKIM or DMARC"),
                _("Publish SPF, DKIM and DMARC records and monitor DMARC reports."),
            ),
            Q(
                "email_filtering",
                _("Is incoming email filtered for spam, phishing and malicious attachments?"),
                HIGH,
                _("Incoming email is not filtered"),
                _("Use an email security gateway or advanced filtering."),
            ),
            Q(
                "email_training",
                _("Have employees had security awareness training in the last 12 months?"),
                MEDIUM,
                _("No security awareness training"),
                _("Train employees regularly and run phishing simulations."),
            ),
            Q(
                "email_forwarding",
                _("Is automatic forwarding of email to outside addresses blocked?"),
                MEDIUM,
                _("Email can be forwarded outside automatically"),
                _("Block automatic external forwarding."),
            ),
            Q(
                "email_external_tag",
                _("Are emails from outside the company marked as external?"),
                LOW,
                _("External emails are not marked"),
                _("Tag external emails with a visible banner."),
            ),
        ),
    ),
    DefaultCategory(
        "network",
        _("Network"),
        (
            Q(
                "network_firewall",
                _("Is there a business-grade firewall with current firmware and support?"),
                HIGH,
                _("No business-grade, supported firewall"),
                _("Install and manage a business-grade firewall."),
            ),
            Q(
                "network_exposed",
                _("Are remote desktop and admin interfaces closed to the internet?"),
                CRITICAL,
                _("Remote desktop or admin interfaces exposed to the internet"),
                _("Close exposed ports; offer access through VPN with MFA only."),
            ),
            Q(
                "network_guest_wifi",
                _("Is guest Wi-Fi separated from the company network?"),
                MEDIUM,
                _("Guest Wi-Fi shares the company network"),
                _("Put guests on a separate network."),
            ),
            Q(
                "network_wifi",
                _("Does company Wi-Fi use WPA2/WPA3 with a strong key?"),
                MEDIUM,
                _("Weak Wi-Fi security"),
                _("Switch to WPA2/WPA3 Enterprise or a strong, rotated key."),
            ),
            Q(
                "network_segments",
                _("Are servers, workstations and IoT devices in separate network segments?"),
                LOW,
                _("Flat network without segments"),
                _("Segment the network with VLANs."),
            ),
        ),
    ),
    DefaultCategory(
        "documentation",
        _("Documentation"),
        (
            Q(
                "doc_network",
                _("Is the network, its devices and accounts documented and up to date?"),
                MEDIUM,
                _("IT environment is not documented"),
                _("Document the network, devices and accounts, and keep it current."),
            ),
            Q(
                "doc_credentials",
                _("Are admin credentials stored securely and reachable by a deputy?"),
                HIGH,
                _("Admin credentials are not stored securely"),
                _("Store admin credentials in a vault with an emergency access procedure."),
            ),
            Q(
                "doc_emergency_plan",
                _("Is there a written emergency and incident response plan?"),
                MEDIUM,
                _("No emergency plan"),
                _("Write an incident response plan and rehearse it once a year."),
            ),
            Q(
                "doc_licences",
                _("Are licences and contracts (domains, certificates…) tracked with renewals?"),
                LOW,
                _("Licences and renewals are not tracked"),
                _("Track licences, domains and certificates with renewal dates."),
            ),
            Q(
                "doc_contacts",
                _("Is there a current list of IT contacts and vendor support numbers?"),
                LOW,
                _("No list of IT contacts"),
                _("Keep an up-to-date list of IT contacts and vendors."),
            ),
        ),
    ),
)

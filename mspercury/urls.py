from django.urls import include, path

from mspercury.views import account, audit, health, security, team, workspaces

urlpatterns = [
    path("", include("billing.urls_dashboard")),
    path("healthz", health.healthz, name="healthz"),
    # Account
    path("signup/", account.signup, name="signup"),
    path("login/", account.login_view, name="login"),
    path("login/verify/", account.login_verify, name="login_verify"),
    path("logout/", account.logout_view, name="logout"),
    path("settings/profile/", account.profile, name="profile"),
    # Workspaces
    path("workspaces/new/", workspaces.workspace_create, name="workspace_create"),
    path(
        "workspaces/<uuid:workspace_id>/switch/",
        workspaces.workspace_switch,
        name="workspace_switch",
    ),
    path("settings/", workspaces.settings_home, name="settings_home"),
    path("settings/workspace/", workspaces.workspace_settings, name="workspace_settings"),
    path(
        "settings/workspace/tax-id-type/",
        workspaces.workspace_tax_id_type,
        name="workspace_tax_id_type",
    ),
    # Team, invites, roles
    path("settings/team/", team.team, name="team"),
    path("settings/team/invite/", team.invite_create, name="invite_create"),
    path(
        "settings/team/invites/<uuid:invite_id>/revoke/", team.invite_revoke, name="invite_revoke"
    ),
    path("settings/team/members/<uuid:membership_id>/role/", team.member_role, name="member_role"),
    path(
        "settings/team/members/<uuid:membership_id>/remove/",
        team.member_remove,
        name="member_remove",
    ),
    path("invite/<str:token>/", team.invite_accept, name="invite_accept"),
    # Two-factor authentication
    path("settings/security/", security.security, name="security"),
    path("settings/security/totp/", security.totp_enrol, name="totp_enrol"),
    path("settings/security/backup-codes/", security.backup_codes, name="backup_codes"),
    path("settings/security/disable/", security.totp_disable, name="totp_disable"),
    path("verify/", security.verify_2fa, name="verify_2fa"),
    # Audit log
    path("settings/audit/", audit.audit_log, name="audit_log"),
    # Apps
    path("customers/", include("customers.urls")),
    path("", include("quotes.urls")),
    path("billing/", include("billing.urls")),
    path("", include("customers.vatids.urls")),
    path("", include("billing.datev.urls")),
    path("", include("billing.evidence.urls")),
    path("", include("integrations.urls")),
    path("", include("portal.urls")),
]

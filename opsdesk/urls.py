from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from analytics import views as report_views
from analytics.imports import views as import_views
from campaigns import views as campaign_views
from catalog import views as catalog_views
from users import playbook_views
from users import views as customer_views

from . import token_views, views
from .login_limits import RateLimitedLoginView

urlpatterns = [
    path("", views.overview, name="overview"),
    path("catalog/", catalog_views.sku_list, name="sku_list"),
    path("catalog/matrix/", catalog_views.product_matrix, name="product_matrix"),
    path(
        "catalog/matrix/suggestions/",
        catalog_views.role_suggestion_decision,
        name="role_suggestion_decision",
    ),
    path("catalog/health/", catalog_views.sku_health, name="sku_health"),
    path("catalog/health/delist/", catalog_views.sku_delist, name="sku_delist"),
    path("catalog/compliance/", catalog_views.compliance, name="compliance"),
    path(
        "catalog/compliance/findings/<int:finding_id>/apply/",
        catalog_views.finding_apply,
        name="finding_apply",
    ),
    path("catalog/compliance/terms/", catalog_views.banned_term_save_view, name="banned_term_save"),
    path(
        "catalog/compliance/terms/<int:term_id>/delete/",
        catalog_views.banned_term_delete_view,
        name="banned_term_delete",
    ),
    path(
        "catalog/compliance/terms/seed/",
        catalog_views.banned_terms_seed_view,
        name="banned_terms_seed",
    ),
    path("catalog/skus/<int:sku_id>/price/", catalog_views.sku_price, name="sku_price"),
    path("traffic/", report_views.traffic, name="traffic"),
    path("metrics/", report_views.metric_dictionary, name="metric_dictionary"),
    path("customers/", customer_views.customer_list, name="customer_list"),
    path("customers/insights/", customer_views.customer_insights, name="customer_insights"),
    path("customers/insights/export/", customer_views.customer_export, name="customer_export"),
    path("customers/<int:customer_id>/", customer_views.customer_detail, name="customer_detail"),
    path(
        "customers/predictions/",
        customer_views.customer_predictions,
        name="customer_predictions",
    ),
    path("customers/playbooks/", playbook_views.playbook_list, name="playbook_list"),
    path("customers/playbooks/new/", playbook_views.playbook_new, name="playbook_new"),
    path(
        "customers/playbooks/install/",
        playbook_views.playbooks_install,
        name="playbooks_install",
    ),
    path(
        "customers/playbooks/<int:playbook_id>/",
        playbook_views.playbook_detail,
        name="playbook_detail",
    ),
    path(
        "customers/playbooks/<int:playbook_id>/edit/",
        playbook_views.playbook_edit,
        name="playbook_edit",
    ),
    path(
        "customers/playbooks/<int:playbook_id>/toggle/",
        playbook_views.playbook_toggle,
        name="playbook_toggle",
    ),
    path(
        "customers/playbooks/<int:playbook_id>/run/",
        playbook_views.playbook_run_now,
        name="playbook_run",
    ),
    path(
        "customers/playbooks/<int:playbook_id>/jobs/<int:job_id>/",
        playbook_views.playbook_job_status,
        name="playbook_job_status",
    ),
    path(
        "customers/playbooks/<int:playbook_id>/runs/<int:run_id>/export/",
        playbook_views.playbook_export,
        name="playbook_export",
    ),
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<int:campaign_id>/lineup/",
        campaign_views.campaign_lineup,
        name="campaign_lineup",
    ),
    path(
        "campaigns/<int:campaign_id>/lineup/add/",
        campaign_views.campaign_lineup_add,
        name="campaign_lineup_add",
    ),
    path(
        "campaigns/<int:campaign_id>/lineup/<int:item_id>/remove/",
        campaign_views.campaign_lineup_remove,
        name="campaign_lineup_remove",
    ),
    path(
        "campaigns/<int:campaign_id>/mechanics/add/",
        campaign_views.campaign_mechanic_add,
        name="campaign_mechanic_add",
    ),
    path(
        "campaigns/<int:campaign_id>/mechanics/<int:mechanic_id>/remove/",
        campaign_views.campaign_mechanic_remove,
        name="campaign_mechanic_remove",
    ),
    path(
        "campaigns/<int:campaign_id>/monitor/",
        campaign_views.campaign_monitor,
        name="campaign_monitor",
    ),
    path(
        "campaigns/<int:campaign_id>/monitor/refresh/",
        campaign_views.campaign_monitor_refresh,
        name="campaign_monitor_refresh",
    ),
    path(
        "campaigns/<int:campaign_id>/review/",
        campaign_views.campaign_review_page,
        name="campaign_review",
    ),
    path(
        "campaigns/<int:campaign_id>/review/export/",
        campaign_views.campaign_review_export,
        name="campaign_review_export",
    ),
    path("reports/", report_views.order_list, name="order_list"),
    path("reports/refunds/", report_views.refund_list, name="refund_list"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:run_id>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:run_id>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<int:run_id>/mapping/", import_views.import_mapping, name="import_mapping"),
    path(
        "imports/<int:run_id>/preview/",
        import_views.import_preview_again,
        name="import_preview_again",
    ),
    path("imports/<int:run_id>/errors.csv", import_views.import_errors_csv, name="import_errors"),
    path("imports/templates/<str:kind>.csv", import_views.import_template, name="import_template"),
    path("store/switch/", views.switch_store, name="switch_store"),
    path(
        "accounts/login/",
        RateLimitedLoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/tokens/", token_views.token_list, name="token_list"),
    path("accounts/tokens/store/", token_views.token_store_list, name="token_store_list"),
    path(
        "accounts/tokens/<int:token_id>/revoke/",
        token_views.token_revoke_view,
        name="token_revoke",
    ),
    path("api/", include("opsdesk.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

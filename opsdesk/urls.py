from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from analytics import views as report_views
from campaigns import views as campaign_views
from catalog import views as catalog_views
from users import views as customer_views

from . import views

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
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("reports/", report_views.order_list, name="order_list"),
    path("reports/refunds/", report_views.refund_list, name="refund_list"),
    path("store/switch/", views.switch_store, name="switch_store"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("opsdesk.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

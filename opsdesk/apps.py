from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsdeskConfig(AppConfig):
    name = "opsdesk"
    verbose_name = _("Stores and staff")

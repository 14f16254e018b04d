"""Forms of the campaign pages. They only parse input: the services validate and write."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.channels import Channel
from opsdesk.models import Store

from .models import Campaign, CampaignKind

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0, "required": False}


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    preparation_start = forms.DateField(label=_("Preparation starts"))
    preheat_start = forms.DateField(label=_("Pre-heat starts"))
    burst_start = forms.DateField(label=_("Burst starts"))
    burst_end = forms.DateField(label=_("Burst ends"))
    wrapup_end = forms.DateField(label=_("Wrap-up ends"))
    gmv_target = forms.DecimalField(label=_("GMV target"), **MONEY)
    ad_budget = forms.DecimalField(label=_("Ad budget"), **MONEY)
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    baseline = forms.ModelChoiceField(
        label=_("Baseline campaign"), queryset=Campaign.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(
        self,
        *args,
        store: Store,
        campaign: Campaign | None = None,
        can_set_targets: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        baselines = Campaign.objects.filter(store=store).order_by("-burst_start")
        if campaign is not None:
            baselines = baselines.exclude(pk=campaign.pk)
        self.fields["baseline"].queryset = baselines
        for name in (
            "preparation_start",
            "preheat_start",
            "burst_start",
            "burst_end",
            "wrapup_end",
        ):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        if not can_set_targets:
            # Shown, not editable: the values stay as they are (services refuse a change).
            for name in ("gmv_target", "ad_budget"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Only a manager or admin sets targets and budgets.")


class LineupAcceptForm(forms.Form):
    """Accepted suggestions: ``sku`` ids checked, ``units-<id>`` planned units each."""

    sku = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("SKU"))

    def __init__(self, *args, sku_ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [(pk, pk) for pk in sku_ids]


class LineupAddForm(forms.Form):
    code = forms.CharField(label=_("SKU code"), max_length=64)
    planned_units = forms.IntegerField(label=_("Planned units"), min_value=0, max_value=2**31 - 1)


class MonitorDayForm(forms.Form):
    day = forms.DateField(label=_("Day"))

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def clean_day(self) -> datetime.date:
        day = self.cleaned_data["day"]
        if not self.campaign.preheat_start <= day <= self.campaign.burst_end:
            raise forms.ValidationError(
                _("Choose a pre-heat or burst day, %(first)s to %(last)s.")
                % {
                    "first": self.campaign.preheat_start.isoformat(),
                    "last": self.campaign.burst_end.isoformat(),
                }
            )
        return day

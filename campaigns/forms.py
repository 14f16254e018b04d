"""Forms of the campaign pages. They only parse input: the services validate and write."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.channels import Channel
from opsdesk.models import Store

from .models import Campaign, CampaignKind, MechanicKind

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0, "required": False}
#: Form field of a channel's budget: ``budget_<channel code>``.
BUDGET_PREFIX = "budget_"


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    preparation_start = forms.DateField(label=_("Preparation starts"))
    preheat_start = forms.DateField(label=_("Pre-heat starts"))
    burst_start = forms.DateField(label=_("Burst starts"))
    burst_end = forms.DateField(label=_("Burst ends"))
    wrapup_end = forms.DateField(label=_("Wrap-up ends"))
    gmv_target = forms.DecimalField(label=_("GMV target"), **MONEY)
    preheat_gmv_target = forms.DecimalField(
        label=_("Pre-heat GMV target"),
        help_text=_(
            "GMV paid on the pre-heat days (deposits count in the burst, when their balance is "
            "paid). Empty: derived from the baseline's pre-heat share, else the store's usual "
            "day."
        ),
        **MONEY,
    )
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
        for code, label in Channel.choices:
            self.fields[BUDGET_PREFIX + code] = forms.DecimalField(label=label, **MONEY)
        if not can_set_targets:
            # Shown, not editable: the values stay as they are (services refuse a change).
            for name in ("gmv_target", "preheat_gmv_target", "ad_budget"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Only a manager or admin sets targets and budgets.")
            for name in self.budget_field_names():
                self.fields[name].disabled = True

    @staticmethod
    def budget_field_names() -> list[str]:
        return [BUDGET_PREFIX + code for code in Channel.values]

    @staticmethod
    def budget_initial(budgets: dict) -> dict:
        """Form initial values of ``{channel: budget}``."""
        return {BUDGET_PREFIX + channel: budget for channel, budget in budgets.items()}

    def main_fields(self) -> list:
        budget_names = set(self.budget_field_names())
        return [field for field in self if field.name not in budget_names]

    def budget_fields(self) -> list:
        return [self[name] for name in self.budget_field_names()]

    def campaign_values(self) -> dict:
        """The cleaned values as ``campaigns.services`` takes them: the channel budgets as
        ``channel_budgets`` ({channel: budget}, empty inputs left out)."""
        data = dict(self.cleaned_data)
        budgets = {}
        for code in Channel.values:
            value = data.pop(BUDGET_PREFIX + code, None)
            if value is not None:
                budgets[code] = value
        data["channel_budgets"] = budgets
        return data


class MechanicForm(forms.Form):
    """A mechanic (玩法) added on the campaign page; which values a kind needs is the
    service's rule (``campaigns.services.MECHANIC_NEEDS``)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=MechanicKind.choices)
    threshold = forms.DecimalField(label=_("Threshold"), **MONEY)
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    rate = forms.DecimalField(
        label=_("Rate"), max_digits=4, decimal_places=3, min_value=0, max_value=1, required=False
    )
    inflated_amount = forms.DecimalField(label=_("Inflated deposit value"), **MONEY)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)


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

"""Import runs keep the SKU price cuts with price-protection exposure they found, and a
preview the confirmation of exactly those exposures (the import of the file carries it)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_visitor_sets_funnel_days'),
    ]

    operations = [
        migrations.AddField(
            model_name='importrun',
            name='price_cuts',
            field=models.JSONField(blank=True, default=list, help_text='SKU price cuts of the file that expose paid orders to price-protection claims: list of {row, sku_code, old_price, new_price, orders, units, amount}.', verbose_name='price cuts with exposure'),
        ),
        migrations.AddField(
            model_name='importrun',
            name='price_cuts_confirmation',
            field=models.TextField(blank=True, help_text="A preview's signed confirmation of exactly these exposures: the import of the file carries it.", verbose_name='price cuts confirmation'),
        ),
    ]

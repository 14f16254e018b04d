"""Who the demo shops are: name, platform, time zone, size, what they sell, how they sell."""

from dataclasses import dataclass

from opsdesk.channels import Channel

from . import words

CHANNELS: tuple[str, ...] = tuple(Channel.values)


@dataclass(frozen=True)
class StoreSpec:
    """One demo shop. ``size`` scales ``--orders-per-day`` (ordinary-day orders of the first
    shop); ``channel_weights`` are order shares per channel on an ordinary day; ``roi`` is the
    yearly return on ad spend of each paid channel; money in cents."""

    index: int
    slug: str
    name: str
    platform: str
    time_zone: str
    theme: words.Theme
    size: float
    sku_count: int
    channel_weights: dict[str, float]
    roi: dict[str, float]
    free_shipping_over: int | None
    shipping_fee: int
    female_share: float
    buyer_prefix: str


_TEMPLATES: tuple[dict, ...] = (
    {
        "slug": "demo-tmall",
        "name": "示例天猫旗舰店",
        "platform": "tmall",
        "time_zone": "Asia/Shanghai",
        "theme": words.HOME,
        "size": 1.0,
        "sku_count": 80,
        "channel_weights": {
            "search": 0.30,
            "recommendation": 0.17,
            "campaign": 0.05,
            "paid_search": 0.13,
            "paid_feed": 0.08,
            "content": 0.09,
            "private_domain": 0.08,
            "direct": 0.07,
            "other": 0.03,
        },
        "roi": {"paid_search": 3.0, "paid_feed": 0.8, "content": 1.5},
        "free_shipping_over": 49_00,
        "shipping_fee": 6_00,
        "female_share": 0.64,
        "buyer_prefix": "tb",
    },
    {
        "slug": "demo-douyin",
        "name": "示例抖音小店",
        "platform": "douyin",
        "time_zone": "Asia/Shanghai",
        "theme": words.BEAUTY,
        "size": 0.5,
        "sku_count": 50,
        "channel_weights": {
            "search": 0.10,
            "recommendation": 0.22,
            "campaign": 0.04,
            "paid_search": 0.04,
            "paid_feed": 0.20,
            "content": 0.30,
            "private_domain": 0.05,
            "direct": 0.03,
            "other": 0.02,
        },
        "roi": {"paid_search": 2.6, "paid_feed": 0.85, "content": 1.7},
        "free_shipping_over": None,
        "shipping_fee": 0,
        "female_share": 0.85,
        "buyer_prefix": "dy",
    },
    {
        "slug": "demo-global",
        "name": "示例海外茶铺",
        "platform": "own_site",
        "time_zone": "Europe/Berlin",
        "theme": words.TEA,
        "size": 0.3,
        "sku_count": 36,
        "channel_weights": {
            "search": 0.25,
            "recommendation": 0.05,
            "campaign": 0.05,
            "paid_search": 0.20,
            "paid_feed": 0.10,
            "content": 0.10,
            "private_domain": 0.15,
            "direct": 0.08,
            "other": 0.02,
        },
        "roi": {"paid_search": 2.2, "paid_feed": 0.7, "content": 1.3},
        "free_shipping_over": 99_00,
        "shipping_fee": 15_00,
        "female_share": 0.5,
        "buyer_prefix": "gl",
    },
    {
        "slug": "demo-jd",
        "name": "示例京东数码专营店",
        "platform": "jd",
        "time_zone": "Asia/Shanghai",
        "theme": words.DIGITAL,
        "size": 0.6,
        "sku_count": 48,
        "channel_weights": {
            "search": 0.34,
            "recommendation": 0.15,
            "campaign": 0.06,
            "paid_search": 0.15,
            "paid_feed": 0.07,
            "content": 0.06,
            "private_domain": 0.05,
            "direct": 0.09,
            "other": 0.03,
        },
        "roi": {"paid_search": 3.4, "paid_feed": 0.9, "content": 1.2},
        "free_shipping_over": 99_00,
        "shipping_fee": 6_00,
        "female_share": 0.3,
        "buyer_prefix": "jd",
    },
)

MAX_STORES = 20


def store_specs(count: int) -> list[StoreSpec]:
    """The first ``count`` demo shops (1..MAX_STORES). The first two are the Tmall flagship and
    the Douyin shop in Asia/Shanghai; the third runs in another time zone; beyond the four
    templates the shops repeat them under numbered slugs."""
    if not 1 <= count <= MAX_STORES:
        raise ValueError(f"count must be between 1 and {MAX_STORES}, not {count}")
    specs = []
    for index in range(count):
        template = dict(_TEMPLATES[index % len(_TEMPLATES)])
        if index >= len(_TEMPLATES):
            template["slug"] = f"{template['slug']}-{index + 1}"
            template["name"] = f"{template['name']}{index + 1}号店"
            template["size"] *= 0.5
        specs.append(StoreSpec(index=index, **template))
    return specs

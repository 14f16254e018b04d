"""Chinese vocabulary of the demo shops: product themes, names, regions, banned terms.

Plain data only (the banned terms are the handbook list of ``catalog.compliance``). Each
theme is a small category tree whose leaves list product nouns per product role, so a
generated traffic item is something one really sells for ¥9.9 and an image
item something one really sells for ¥599 and up.
"""

from dataclasses import dataclass

from catalog.compliance import DEFAULT_TERMS


@dataclass(frozen=True)
class LeafWords:
    """A leaf category with the product nouns that fit each role."""

    parent: str
    name: str
    traffic: tuple[str, ...] = ()
    profit: tuple[str, ...] = ()
    image: tuple[str, ...] = ()


@dataclass(frozen=True)
class Theme:
    """What a demo shop sells: brand, SKU code prefix, category leaves, variants, copy."""

    brand: str
    code_prefix: str
    leaves: tuple[LeafWords, ...]
    variants: tuple[str, ...]
    adjectives: tuple[str, ...]
    features: tuple[str, ...]


HOME = Theme(
    brand="栖木家居",
    code_prefix="QM",
    leaves=(
        LeafWords(
            "厨房用品",
            "杯具水具",
            traffic=("玻璃水杯", "硅胶杯盖", "竹木杯垫"),
            profit=("陶瓷马克杯礼盒", "手冲咖啡壶", "真空保温杯"),
            image=("手工柴烧茶具套装",),
        ),
        LeafWords(
            "厨房用品",
            "锅具",
            traffic=("硅胶锅铲", "耐热刮刀"),
            profit=("不粘煎锅", "雪平奶锅", "不锈钢汤锅"),
            image=("铸铁珐琅锅",),
        ),
        LeafWords(
            "厨房用品",
            "厨房收纳",
            traffic=("密封保鲜袋", "玻璃调料瓶", "沥水篮"),
            profit=("多层调料置物架", "刀具收纳架"),
        ),
        LeafWords(
            "家居收纳",
            "收纳整理",
            traffic=("桌面收纳盒", "抽屉分隔板", "植绒衣架"),
            profit=("透明鞋盒组合", "可折叠收纳箱", "衣物真空压缩袋套装"),
        ),
        LeafWords(
            "床上用品",
            "床品套件",
            traffic=("纯棉枕套",),
            profit=("纯棉四件套", "水洗棉被套", "天然乳胶枕"),
            image=("长绒棉刺绣四件套", "桑蚕丝被"),
        ),
        LeafWords(
            "床上用品",
            "毛巾浴巾",
            traffic=("纯棉毛巾", "一次性洗脸巾"),
            profit=("浴巾礼盒",),
        ),
        LeafWords(
            "家居饰品",
            "香薰蜡烛",
            traffic=("香薰补充液", "迷你香薰蜡烛"),
            profit=("无火香薰", "香薰蜡烛礼盒"),
            image=("手工陶瓷香薰炉",),
        ),
        LeafWords(
            "家居饰品",
            "花瓶摆件",
            traffic=("干花束",),
            profit=("陶瓷花瓶", "北欧装饰画"),
            image=("黄铜落地灯",),
        ),
        LeafWords(
            "清洁用品",
            "清洁工具",
            traffic=("百洁布", "懒人抹布", "缝隙清洁刷"),
            profit=("旋转拖把", "除螨仪"),
            image=("无线洗地机",),
        ),
    ),
    variants=("奶白色", "燕麦色", "雾霾蓝", "墨绿色", "大号", "中号", "小号", "两件装", "三件套"),
    adjectives=("北欧风", "日式", "简约", "ins风", "加厚", "家用", "原木", "轻奢"),
    features=(
        "选用食品级材质，耐用易清洁",
        "简约设计，百搭各种家居风格",
        "细节打磨，手感温润",
        "收纳省空间，小户型也能用",
        "经过多道质检，放心使用",
    ),
)

BEAUTY = Theme(
    brand="禾肌",
    code_prefix="HJ",
    leaves=(
        LeafWords(
            "护肤",
            "洁面卸妆",
            traffic=("氨基酸洁面乳旅行装", "洁面起泡网"),
            profit=("氨基酸洁面乳", "温和卸妆油"),
        ),
        LeafWords(
            "护肤",
            "精华",
            traffic=("精华小样",),
            profit=("玻尿酸精华液", "烟酰胺精华"),
            image=("抗老精华礼盒",),
        ),
        LeafWords(
            "护肤",
            "面霜乳液",
            profit=("修护面霜", "保湿乳液"),
            image=("奢养面霜礼盒",),
        ),
        LeafWords(
            "护肤",
            "面膜",
            traffic=("补水面膜单片", "睡眠面膜小样"),
            profit=("补水面膜10片装", "清洁泥膜"),
        ),
        LeafWords(
            "彩妆",
            "唇妆",
            traffic=("润唇膏",),
            profit=("丝绒口红", "唇釉套装"),
        ),
        LeafWords(
            "彩妆",
            "底妆",
            traffic=("美妆蛋", "化妆刷"),
            profit=("气垫粉底", "定妆散粉"),
        ),
        LeafWords(
            "个护",
            "身体护理",
            traffic=("护手霜", "沐浴露旅行装"),
            profit=("香氛身体乳", "身体磨砂膏"),
        ),
        LeafWords(
            "香氛",
            "香水",
            traffic=("香水小样",),
            profit=("淡香水30ml",),
            image=("香水礼盒100ml",),
        ),
    ),
    variants=("30ml", "50ml", "100ml", "清爽型", "滋润型", "#01", "#02", "#03", "两支装"),
    adjectives=("水润", "温和", "敏感肌可用", "植萃", "轻薄", "持久", "舒缓"),
    features=(
        "质地轻薄，上脸易吸收",
        "温和配方，敏感肌也能用",
        "随身小巧，出差旅行方便带",
        "清新香气，留香自然",
        "通过皮肤测试，放心使用",
    ),
)

TEA = Theme(
    brand="山茗",
    code_prefix="SM",
    leaves=(
        LeafWords(
            "茶叶",
            "绿茶",
            traffic=("龙井试饮装", "碧螺春试饮装"),
            profit=("明前龙井250g", "黄山毛峰罐装"),
            image=("狮峰龙井礼盒",),
        ),
        LeafWords(
            "茶叶",
            "红茶",
            traffic=("正山小种茶包",),
            profit=("金骏眉罐装", "滇红礼盒"),
        ),
        LeafWords(
            "茶叶",
            "乌龙普洱",
            traffic=("铁观音小泡袋",),
            profit=("大红袍礼盒", "普洱熟茶饼"),
            image=("十年陈普洱茶饼",),
        ),
        LeafWords(
            "茶具",
            "茶壶茶杯",
            traffic=("玻璃公道杯", "竹茶夹"),
            profit=("旅行茶具套装", "陶瓷盖碗"),
            image=("紫砂壶",),
        ),
    ),
    variants=("100g", "250g", "罐装", "袋装", "礼盒装", "两罐装"),
    adjectives=("高山", "手工", "原产地", "头采", "古树"),
    features=(
        "产地直发，新鲜醇香",
        "密封包装，便于存放",
        "冲泡方便，办公室也能喝",
        "回甘明显，耐泡",
    ),
)

DIGITAL = Theme(
    brand="极客坊",
    code_prefix="JK",
    leaves=(
        LeafWords(
            "手机配件",
            "充电数据线",
            traffic=("快充数据线", "数据线收纳扣"),
            profit=("氮化镓充电器", "移动电源"),
        ),
        LeafWords(
            "手机配件",
            "保护配件",
            traffic=("钢化膜", "手机壳"),
            profit=("磁吸支架",),
        ),
        LeafWords(
            "影音",
            "耳机音箱",
            traffic=("耳机保护套",),
            profit=("蓝牙耳机", "便携音箱"),
            image=("降噪头戴耳机",),
        ),
        LeafWords(
            "智能穿戴",
            "手表手环",
            traffic=("表带",),
            profit=("智能手环",),
            image=("智能手表",),
        ),
    ),
    variants=("1米", "2米", "白色", "黑色", "20W", "65W", "升级款"),
    adjectives=("快充", "轻薄", "磁吸", "便携", "长续航"),
    features=(
        "兼容主流机型，即插即用",
        "小巧便携，出门不占地方",
        "多重保护，安全放心",
        "一年质保，售后无忧",
    ),
)

#: Titles that break the Advertising Law, so the compliance scan has findings to show.
BANNED_TITLE_PREFIXES = (
    "顶级",
    "全网最低价",
    "最好用的",
    "行业第一",
    "极品",
    "万能",
    "首选",
    "绝对正品",
    "最佳",
    "国家级",
)
BANNED_DESCRIPTION_PHRASES = (
    "全网最低，买贵退差",
    "同类产品中最好的选择",
    "销量第一，品质顶级",
    "唯一指定款，绝对好用",
    "世界级工艺，100%满意",
)
#: Descriptions using the allowed phrase 最近 (not a finding).
ALLOWED_DESCRIPTION_PHRASES = ("最近上新，", "最近很多买家回购，")

#: The DOMAIN.md word list with a neutral replacement and the phrases that are not findings:
#: the handbook list every new store starts with (``store_create``), so a demo shop's list is
#: exactly what a real new shop gets.
BANNED_TERMS: tuple[tuple[str, str, str], ...] = DEFAULT_TERMS

#: Provinces with a weight close to their share of online shoppers.
REGIONS: tuple[tuple[str, float], ...] = (
    ("广东", 13.0),
    ("浙江", 9.0),
    ("江苏", 8.5),
    ("上海", 6.0),
    ("北京", 5.5),
    ("山东", 5.5),
    ("福建", 4.5),
    ("四川", 4.5),
    ("河南", 4.0),
    ("湖北", 3.5),
    ("湖南", 3.2),
    ("河北", 3.0),
    ("安徽", 3.0),
    ("辽宁", 2.6),
    ("陕西", 2.3),
    ("重庆", 2.2),
    ("天津", 1.8),
    ("江西", 1.8),
    ("广西", 1.8),
    ("云南", 1.6),
    ("山西", 1.4),
    ("黑龙江", 1.3),
    ("吉林", 1.0),
    ("贵州", 1.0),
    ("内蒙古", 0.8),
    ("新疆", 0.6),
    ("甘肃", 0.6),
    ("海南", 0.6),
    ("宁夏", 0.3),
    ("青海", 0.2),
    ("西藏", 0.1),
)
#: Provinces where shipping costs extra on small orders.
REMOTE_REGIONS = frozenset({"新疆", "西藏", "青海", "内蒙古", "甘肃", "宁夏"})

SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘")
GIVEN_CHARACTERS = tuple("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏婷雪琳晨宇欣怡")

MEMBER_LEVELS: tuple[tuple[str, str, int, str], ...] = (
    ("V1", "普通会员", 0, "积分兑换，生日礼券"),
    ("V2", "银卡会员", 500_00, "积分兑换，生日礼券，会员日95折"),
    ("V3", "金卡会员", 2000_00, "会员日9折，专属客服，每月包邮券"),
    ("V4", "钻石会员", 5000_00, "会员日88折，专属客服，新品优先购，年度礼盒"),
)

PRICE_CHANGE_NOTES = {
    "cut": ("大促前调价", "清库存降价", "跟进竞品价格"),
    "raise": ("成本上涨调价", "活动结束恢复原价", "升级包装"),
}
